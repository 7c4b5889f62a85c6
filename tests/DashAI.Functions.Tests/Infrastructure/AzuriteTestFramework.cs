using System.Reflection;
using Xunit.Abstractions;
using Xunit.Sdk;

[assembly: Xunit.TestFramework("DashAI.Functions.Tests.Infrastructure.AzuriteTestFramework", "DashAI.Functions.Tests")]

namespace DashAI.Functions.Tests.Infrastructure;

/// <summary>
/// xunit's hook for "after the last test of the assembly": stops the shared Azurite by its pid before the run
/// reports that it finished, whatever the test results were. (After that report the test host may be torn down
/// before any process-exit handler gets to run.)
/// </summary>
public sealed class AzuriteTestFramework(IMessageSink messageSink) : XunitTestFramework(messageSink)
{
    protected override ITestFrameworkExecutor CreateExecutor(AssemblyName assemblyName) =>
        new Executor(assemblyName, SourceInformationProvider, DiagnosticMessageSink);

    private sealed class Executor(AssemblyName assemblyName, ISourceInformationProvider sourceInformationProvider, IMessageSink diagnosticMessageSink)
        : XunitTestFrameworkExecutor(assemblyName, sourceInformationProvider, diagnosticMessageSink)
    {
        // xunit v2 declares this hook async void; the runner waits for its completion message, not the Task.
#pragma warning disable AZFW0002
        protected override async void RunTestCases(IEnumerable<IXunitTestCase> testCases, IMessageSink executionMessageSink, ITestFrameworkExecutionOptions executionOptions)
        {
            using var runner = new Runner(TestAssembly, testCases, DiagnosticMessageSink, executionMessageSink, executionOptions);
            await runner.RunAsync();
        }
#pragma warning restore AZFW0002
    }

    private sealed class Runner(ITestAssembly testAssembly, IEnumerable<IXunitTestCase> testCases, IMessageSink diagnosticMessageSink, IMessageSink executionMessageSink, ITestFrameworkExecutionOptions executionOptions)
        : XunitTestAssemblyRunner(testAssembly, testCases, diagnosticMessageSink, executionMessageSink, executionOptions)
    {
        protected override Task BeforeTestAssemblyFinishedAsync()
        {
            AzuriteServer.StopIfStarted();
            return base.BeforeTestAssemblyFinishedAsync();
        }
    }
}

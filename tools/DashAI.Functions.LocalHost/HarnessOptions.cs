using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DashAI.Functions.LocalHost;

/// <summary>What the harness needs to host one built dotnet-isolated function app.</summary>
public sealed class HarnessOptions
{
    /// <summary>The built worker: its entry dll, or the output folder that holds worker.config.json.</summary>
    public required string AppPath { get; init; }

    /// <summary>Connection string for AzureWebJobsStorage (queue triggers and the app both use it).</summary>
    public required string StorageConnectionString { get; init; }

    /// <summary>Local port for the app's HTTP functions; 0 picks a free one.</summary>
    public int HttpPort { get; init; }

    /// <summary>App settings, given to the worker as environment variables (as the host does).</summary>
    public IDictionary<string, string> AppSettings { get; init; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>host.json to read routePrefix and queue settings from; defaults to the one in the app folder.</summary>
    public string? HostJsonPath { get; init; }

    /// <summary>Upper bound for the queue polling back-off, below host.json's maxPollingInterval (tests want fast pickup).</summary>
    public TimeSpan? MaxPollingIntervalCap { get; init; }

    /// <summary>How long to wait for the worker to start, index and load its functions.</summary>
    public TimeSpan StartupTimeout { get; init; } = TimeSpan.FromSeconds(90);

    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;
}

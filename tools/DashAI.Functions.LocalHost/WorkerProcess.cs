using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace DashAI.Functions.LocalHost;

/// <summary>The dotnet-isolated worker as a child process, started the way the Functions host starts it.</summary>
internal sealed class WorkerProcess : IDisposable
{
    private readonly Process _process;
    private readonly ILogger _logger;
    private int _disposed;

    private WorkerProcess(Process process, ILogger logger)
    {
        _process = process;
        _logger = logger;
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public Task Exited { get; private init; } = Task.CompletedTask;

    /// <summary>The app folder and entry dll, from a dll path or a folder with worker.config.json.</summary>
    public static (string AppDirectory, string EntryDll) ResolveApp(string appPath)
    {
        var full = Path.GetFullPath(appPath);
        if (File.Exists(full))
        {
            return (Path.GetDirectoryName(full)!, full);
        }

        if (!Directory.Exists(full))
        {
            throw new FileNotFoundException($"No built function app at '{full}'. Build it first (dotnet build -c Release).", full);
        }

        // The host finds the worker through worker.config.json, which the Functions SDK writes to the output.
        var workerConfig = Path.Combine(full, "worker.config.json");
        if (File.Exists(workerConfig))
        {
            using var document = JsonDocument.Parse(File.ReadAllText(workerConfig));
            if (document.RootElement.TryGetProperty("description", out var description)
                && description.TryGetProperty("defaultWorkerPath", out var workerPath)
                && workerPath.GetString() is { Length: > 0 } relative)
            {
                return (full, Path.Combine(full, relative));
            }
        }

        throw new FileNotFoundException($"'{full}' has no worker.config.json naming the worker dll; pass the dll instead.", workerConfig);
    }

    public static WorkerProcess Start(string appDirectory, string entryDll, Uri grpcUri, string workerId, string requestId,
        IDictionary<string, string> environment, ILoggerFactory loggerFactory)
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath)
            ? hostPath
            : "dotnet";
        var start = new ProcessStartInfo(dotnet)
        {
            WorkingDirectory = appDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(entryDll);

        // Both argument styles the host passes: the legacy ones and the --functions-* ones the worker binds.
        const string MaxMessageLength = "2147483647";
        foreach (var argument in new[]
        {
            "--host", grpcUri.Host, "--port", grpcUri.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--workerId", workerId, "--requestId", requestId, "--grpcMaxMessageLength", MaxMessageLength,
            "--functions-uri", grpcUri.ToString(), "--functions-worker-id", workerId,
            "--functions-request-id", requestId, "--functions-grpc-max-message-length", MaxMessageLength,
        })
        {
            start.ArgumentList.Add(argument);
        }

        // The test process may carry settings for its own web servers; the worker picks its own HTTP port.
        foreach (var inherited in new[] { "ASPNETCORE_URLS", "ASPNETCORE_HTTP_PORTS", "ASPNETCORE_HTTPS_PORTS", "DOTNET_URLS" })
        {
            start.Environment.Remove(inherited);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var logger = loggerFactory.CreateLogger("Worker.Process");
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var exited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.Exited += (_, _) => exited.TrySetResult();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { Length: > 0 } line)
            {
                logger.LogDebug("{Line}", line);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { Length: > 0 } line)
            {
                logger.LogWarning("{Line}", line);
            }
        };

        if (!process.Start())
        {
            throw new InvalidOperationException($"Could not start the worker '{entryDll}'.");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        logger.LogInformation("Started worker {WorkerDll} (pid {Pid})", entryDll, process.Id);
        var worker = new WorkerProcess(process, logger) { Exited = exited.Task };
        AppDomain.CurrentDomain.ProcessExit += worker.OnHarnessExit;
        return worker;
    }

    /// <summary>Waits for a graceful exit (after WorkerTerminate), then kills the whole process tree.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        try
        {
            if (!_process.HasExited)
            {
                await Exited.WaitAsync(grace);
            }
        }
        catch (TimeoutException)
        {
            _logger.LogDebug("Worker {Pid} did not exit within {Grace}; killing it", _process.Id, grace);
        }

        Kill();
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        AppDomain.CurrentDomain.ProcessExit -= OnHarnessExit;
        Kill();
        _process.Dispose();
    }

    private void OnHarnessExit(object? sender, EventArgs e) => Kill();

    private void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            _logger.LogDebug(ex, "Worker already gone");
        }
    }
}

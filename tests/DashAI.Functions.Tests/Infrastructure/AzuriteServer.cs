using System.Diagnostics;
using System.Runtime.InteropServices;

namespace DashAI.Functions.Tests.Infrastructure;

/// <summary>
/// One Azurite per test process, on ports the OS picks (it is started with port 0 and reports the ports it bound),
/// with in-memory persistence from the npm package pinned in
/// package-lock.json. It is stopped by its pid (SIGTERM, then SIGKILL after a short grace) when the test process
/// exits, whether tests passed or failed; its pid is also written to a file that the test script sweeps, for the
/// case where the test process itself is killed.
/// </summary>
public sealed partial class AzuriteServer : IDisposable
{
    private static readonly Lazy<AzuriteServer> Shared = new(Start, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly Process _process;
    private readonly string? _pidFile;
    private int _stopped;

    private AzuriteServer(Process process, string? pidFile)
    {
        _process = process;
        _pidFile = pidFile;
    }

    private static string ConnectionStringFor(int blobPort, int queuePort, int tablePort) =>
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;" +
        "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
        $"BlobEndpoint=http://127.0.0.1:{blobPort}/devstoreaccount1;" +
        $"QueueEndpoint=http://127.0.0.1:{queuePort}/devstoreaccount1;" +
        $"TableEndpoint=http://127.0.0.1:{tablePort}/devstoreaccount1;";

    public static AzuriteServer Instance => Shared.Value;

    public static void StopIfStarted()
    {
        if (Shared.IsValueCreated)
        {
            Shared.Value.Dispose();
        }
    }

    public string ConnectionString { get; private set; } = "";

    public int ProcessId => _process.Id;

    /// <summary>Starts an Azurite owned by the caller (a fixture that wants its own), stopped on dispose or at process exit.</summary>
    public static AzuriteServer Start()
    {
        var azurite = Path.Combine(RepoPaths.Root, "node_modules", "azurite", "dist", "src", "azurite.js");
        if (!File.Exists(azurite))
        {
            throw new InvalidOperationException($"Azurite is not installed ({azurite} is missing): run 'npm ci' at the repository root.");
        }

        var start = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
        {
            azurite, "--silent", "--inMemoryPersistence", "--skipApiVersionCheck", "--loose", "--disableProductStyleUrl",
            "--blobHost", "127.0.0.1", "--blobPort", "0",
            "--queueHost", "127.0.0.1", "--queuePort", "0",
            "--tableHost", "127.0.0.1", "--tablePort", "0",
        })
        {
            start.ArgumentList.Add(arg);
        }

        // Port 0 lets the OS choose (no probe-then-bind race between test processes); Azurite prints the port
        // each service bound: "Azurite Blob service is successfully listening at http://127.0.0.1:38011".
        var ports = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        var allBound = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start Azurite.");
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line && ListeningLine().Match(line) is { Success: true } match)
            {
                ports[match.Groups["service"].Value] = int.Parse(match.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture);
                if (ports.Count == 3)
                {
                    allBound.TrySetResult();
                }
            }
        };
        process.ErrorDataReceived += (_, _) => { };
        process.Exited += (_, _) => allBound.TrySetException(new InvalidOperationException($"Azurite exited with code {process.ExitCode} while starting."));
        process.EnableRaisingEvents = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var pidDir = Environment.GetEnvironmentVariable("DASHAI_TEST_PID_DIR");
        string? pidFile = null;
        if (!string.IsNullOrEmpty(pidDir))
        {
            Directory.CreateDirectory(pidDir);
            pidFile = Path.Combine(pidDir, $"azurite-{process.Id}.pid");
            File.WriteAllText(pidFile, process.Id.ToString());
        }

        var server = new AzuriteServer(process, pidFile);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.Dispose();
        try
        {
            if (!allBound.Task.Wait(TimeSpan.FromSeconds(60)))
            {
                throw new InvalidOperationException("Azurite did not report its ports within 60 s.");
            }

            server.ConnectionString = ConnectionStringFor(ports["Blob"], ports["Queue"], ports["Table"]);
        }
        catch
        {
            server.Dispose();
            throw;
        }

        return server;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return;
        }

        try
        {
            if (!_process.HasExited)
            {
                _ = Kill(_process.Id, 15);
                if (!_process.WaitForExit(TimeSpan.FromMilliseconds(500)))
                {
                    _ = Kill(_process.Id, 9);
                    _process.WaitForExit(TimeSpan.FromSeconds(5));
                }
            }
        }
        finally
        {
            if (_pidFile is not null)
            {
                File.Delete(_pidFile);
            }

            _process.Dispose();
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"Azurite (?<service>Blob|Queue|Table) service is successfully listening at http://[^:]+:(?<port>\d+)")]
    private static partial System.Text.RegularExpressions.Regex ListeningLine();

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}

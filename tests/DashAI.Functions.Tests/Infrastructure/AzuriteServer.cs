using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace DashAI.Functions.Tests.Infrastructure;

/// <summary>
/// One Azurite per test process, started on free ports with in-memory persistence from the npm package pinned in
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

    private AzuriteServer(Process process, int blobPort, int queuePort, int tablePort, string? pidFile)
    {
        _process = process;
        _pidFile = pidFile;
        ConnectionString =
            "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;" +
            "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
            $"BlobEndpoint=http://127.0.0.1:{blobPort}/devstoreaccount1;" +
            $"QueueEndpoint=http://127.0.0.1:{queuePort}/devstoreaccount1;" +
            $"TableEndpoint=http://127.0.0.1:{tablePort}/devstoreaccount1;";
    }

    public static AzuriteServer Instance => Shared.Value;

    public static void StopIfStarted()
    {
        if (Shared.IsValueCreated)
        {
            Shared.Value.Dispose();
        }
    }

    public string ConnectionString { get; }

    public int ProcessId => _process.Id;

    /// <summary>Starts an Azurite owned by the caller (a fixture that wants its own), stopped on dispose or at process exit.</summary>
    public static AzuriteServer Start()
    {
        var azurite = Path.Combine(RepoPaths.Root, "node_modules", "azurite", "dist", "src", "azurite.js");
        if (!File.Exists(azurite))
        {
            throw new InvalidOperationException($"Azurite is not installed ({azurite} is missing): run 'npm ci' at the repository root.");
        }

        var (blob, queue, table) = (FreePort(), FreePort(), FreePort());
        var start = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
        {
            azurite, "--silent", "--inMemoryPersistence", "--skipApiVersionCheck", "--loose", "--disableProductStyleUrl",
            "--blobHost", "127.0.0.1", "--blobPort", blob.ToString(),
            "--queueHost", "127.0.0.1", "--queuePort", queue.ToString(),
            "--tableHost", "127.0.0.1", "--tablePort", table.ToString(),
        })
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start Azurite.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
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

        var server = new AzuriteServer(process, blob, queue, table, pidFile);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.Dispose();
        try
        {
            WaitForPorts(process, [blob, queue, table], TimeSpan.FromSeconds(60));
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

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void WaitForPorts(Process process, int[] ports, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        foreach (var port in ports)
        {
            while (true)
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"Azurite exited with code {process.ExitCode} while starting.");
                }

                try
                {
                    using var client = new TcpClient();
                    client.Connect(IPAddress.Loopback, port);
                    break;
                }
                catch (SocketException) when (DateTime.UtcNow < deadline)
                {
                    Thread.Sleep(100);
                }
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}

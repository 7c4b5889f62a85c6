using Azure.Storage.Queues;
using DashAI.Functions.LocalHost;
using DashAI.Functions.Tests.Infrastructure;

namespace DashAI.Functions.E2ETests.Infrastructure;

/// <summary>
/// Azurite plus the host harness running one built function app. Everything it started is stopped on dispose,
/// also when a test failed or the startup itself failed half-way.
/// </summary>
public abstract class HarnessFixture : IAsyncLifetime
{
    private readonly string _appProject;
    private AzuriteServer? _azurite;
    private string? _workerPidFile;

    protected HarnessFixture(string appProject, string logName)
    {
        _appProject = appProject;
        Log = new HarnessLog(logName);
    }

    public HarnessLog Log { get; }

    public FunctionsHostHarness Harness { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    public string StorageConnectionString => _azurite!.ConnectionString;

    /// <summary>A queue client using the host's message encoding (base64).</summary>
    public QueueClient Queue(string name) =>
        new(StorageConnectionString, name, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });

    protected virtual IDictionary<string, string> AppSettings => new Dictionary<string, string>();

    public async Task InitializeAsync()
    {
        try
        {
            _azurite = AzuriteServer.Start();
            Harness = await FunctionsHostHarness.StartAsync(new HarnessOptions
            {
                AppPath = RepoPaths.Output(_appProject),
                StorageConnectionString = _azurite.ConnectionString,
                AppSettings = AppSettings,
                LoggerFactory = Log.Factory,
                // Tests want queued work picked up within a second whatever host.json's maxPollingInterval says.
                MaxPollingIntervalCap = TimeSpan.FromSeconds(1),
            });
            Client = Harness.CreateClient();
            RecordWorkerPid();
        }
        catch (Exception ex)
        {
            await DisposeAsync();
            throw new InvalidOperationException($"The harness did not start: {ex.Message}{Environment.NewLine}{Log.Tail()}", ex);
        }
    }

    // dev.sh kills every recorded pid after the test run, in case the test process itself was killed.
    private void RecordWorkerPid()
    {
        if (Environment.GetEnvironmentVariable("DASHAI_TEST_PID_DIR") is { Length: > 0 } pidDir && Harness.WorkerProcessId is { } pid)
        {
            Directory.CreateDirectory(pidDir);
            _workerPidFile = Path.Combine(pidDir, $"worker-{pid}.pid");
            File.WriteAllText(_workerPidFile, pid.ToString());
        }
    }

    public virtual async Task DisposeAsync()
    {
        Client?.Dispose();
        try
        {
            if (Harness is not null)
            {
                await Harness.DisposeAsync();
            }
        }
        finally
        {
            _azurite?.Dispose();
            Log.Dispose();
            if (_workerPidFile is not null)
            {
                File.Delete(_workerPidFile);
            }
        }
    }
}

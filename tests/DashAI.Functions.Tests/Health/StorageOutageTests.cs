using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using DashAI.Functions.Http;
using DashAI.Functions.Storage;
using DashAI.Functions.Tests.Infrastructure;
using DashAI.Functions.Jobs;
using DashAI.Functions.Training;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace DashAI.Functions.Tests.Health;

/// <summary>
/// The storage account down (nothing listens) or hung (it accepts connections and never answers): every route that
/// needs storage answers 503 with Retry-After within the clients' retry budget, routes that need none keep answering,
/// and the queue trigger throws so the message is redelivered.
/// </summary>
public sealed class StorageOutageTests
{
    /// <summary>
    /// What the clients' settings allow is checked against the 10 s target exactly; a live request on a shared, loaded
    /// test machine gets twice that, which still tells seconds from the SDK defaults' minutes (4 tries of 100 s).
    /// </summary>
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(20);

    /// <summary>Routes that answer without storage.</summary>
    // Routes that answer from the app alone: the component registry, the OpenAPI document and the docs page.
    private static readonly HashSet<string> NoStorage = ["ListComponents", "GetComponent", "OpenApiDocument", "ApiDocs", "ApiDocsAsset"];

    public static TheoryData<string> Outages => new() { "refused", "hung" };

    [Theory]
    [MemberData(nameof(Outages))]
    public async Task EveryRouteThatNeedsStorageAnswers503WithRetryAfterWithinTheBudget(string outage)
    {
        using var storage = outage == "hung" ? DeadStorage.Hung() : DeadStorage.Refused();
        await using var app = TestApp.Create(settings: new Dictionary<string, string?> { ["AzureWebJobsStorage"] = storage.ConnectionString });

        // In parallel, as requests arrive when an account fails: none may wait behind another's timeout.
        var results = await Task.WhenAll(HttpRoute.All.Select(async route =>
        {
            var request = await ValidRequest(app, route);
            var stopwatch = Stopwatch.StartNew();
            var response = await app.Invoke(request, (r, ct) => route.InvokeAsync(app, r, RouteValues(route), ct));
            return (route, response, stopwatch.Elapsed);
        }));

        foreach (var (route, response, elapsed) in results)
        {
            Assert.True(elapsed < Budget, $"{route} took {elapsed.TotalSeconds:F1} s");
            if (NoStorage.Contains(route.Name))
            {
                // The docs page's files are in the app's build output, not the tests': 404 here, never a storage error.
                Assert.True(response.Status == (route.Name == "ApiDocsAsset" ? 404 : 200), $"{route}: {response.Status} {response.Body}");
            }
            else if (route.Name == "Health")
            {
                response.AssertStatus(503);
            }
            else
            {
                Assert.True(response.Status == 503, $"{route}: {response.Status} {response.Body}");
                response.AssertProblem(503, "Storage is unavailable");
                Assert.Equal(ApiErrors.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), response.Headers.RetryAfter.ToString());
            }
        }
    }

    [Fact]
    public async Task TheQueueTriggerThrowsWhenStorageHangsSoTheMessageIsRedelivered()
    {
        using var storage = DeadStorage.Hung();
        await using var app = TestApp.Create(settings: new Dictionary<string, string?> { ["AzureWebJobsStorage"] = storage.ConnectionString });
        var worker = app.Services.GetRequiredService<JobWorker>();
        var stopwatch = Stopwatch.StartNew();

        var thrown = await Record.ExceptionAsync(() => worker.ProcessAsync(new JobMessage(1, 1).ToJson(), 1, CancellationToken.None));

        Assert.NotNull(thrown);
        Assert.True(JobWorker.IsTransient(thrown), thrown.ToString());
        Assert.True(stopwatch.Elapsed < Budget, $"took {stopwatch.Elapsed.TotalSeconds:F1} s");
    }

    [Fact]
    public void TheClientsGiveUpOnADeadOrHungAccountWithinTenSeconds()
    {
        Assert.True(StorageClients.UnavailableBudget <= TimeSpan.FromSeconds(10), $"{StorageClients.UnavailableBudget}");
    }

    [Fact]
    public void AStorageTimeoutIsTransientButACallersCancellationIsNot()
    {
        var timeout = new TaskCanceledException("exceeded the configured timeout", new TaskCanceledException());
        using var caller = new CancellationTokenSource();
        caller.Cancel();
        var refused = new Azure.RequestFailedException(0, "Connection refused", new HttpRequestException("Connection refused (127.0.0.1:1)"));
        var retried = new AggregateException(refused, timeout);

        Assert.True(StorageFailures.IsUnreachable(timeout));
        Assert.True(StorageFailures.IsUnreachable(retried));
        Assert.True(JobWorker.IsTransient(timeout));
        Assert.False(StorageFailures.IsUnreachable(new OperationCanceledException()));
        Assert.False(StorageFailures.IsUnreachable(new OperationCanceledException(caller.Token)));
        Assert.False(StorageFailures.IsUnreachable(new Azure.RequestFailedException(404, "not found")));
    }

    private static Dictionary<string, string> RouteValues(HttpRoute route) =>
        route.RouteParameters.ToDictionary(p => p, p => p == "name" ? "LogisticRegression" : "1");

    /// <summary>A request each route accepts up to its first storage call; a new route must be added here.</summary>
    private static async Task<HttpRequest> ValidRequest(TestApp app, HttpRoute route) => route.Name switch
    {
        "CreateDataset" => await Uploads.Request(app, Uploads.Params("outage"), Encoding.UTF8.GetBytes("a,b\n1,x\n2,y\n")),
        "CreateExperiment" => app.Request("POST", json: new { dataset_id = 1, task_name = "TabularClassificationTask", name = "e" }),
        "CreateRun" => app.Request("POST", json: new { experiment_id = 1, model_name = "LogisticRegression", name = "r" }),
        "UpdateDataset" or "UpdateExperiment" => app.Request("PATCH", json: new { name = "n" }),
        "UpdateRun" => app.Request("PATCH", json: new { run_name = "n" }),
        "EnqueueRun" => app.Request("POST", query: "run_id=1"),
        "CancelJobByQuery" => app.Request("DELETE", query: "job_id=1"),
        "ListRuns" => app.Request("GET", query: "experiment_id=1"),
        "ListComponents" => app.Request("GET", query: "select_types=Model"),
        _ when route.Method is "GET" or "DELETE" => app.Request(route.Method),
        _ => throw new InvalidOperationException($"Add a valid request for {route} to this test."),
    };

    /// <summary>A storage endpoint that is gone: a closed port, or a listener that accepts and never answers.</summary>
    private sealed class DeadStorage : IDisposable
    {
        private readonly TcpListener? _listener;
        private readonly List<TcpClient> _accepted = [];
        private readonly CancellationTokenSource _stop = new();

        private DeadStorage(int port, TcpListener? listener)
        {
            _listener = listener;
            ConnectionString =
                "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;" +
                "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
                $"BlobEndpoint=http://127.0.0.1:{port}/devstoreaccount1;" +
                $"QueueEndpoint=http://127.0.0.1:{port}/devstoreaccount1;" +
                $"TableEndpoint=http://127.0.0.1:{port}/devstoreaccount1;";
        }

        public string ConnectionString { get; }

        public static DeadStorage Refused()
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            return new DeadStorage(port, null);
        }

        public static DeadStorage Hung()
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var storage = new DeadStorage(((IPEndPoint)listener.LocalEndpoint).Port, listener);
            _ = storage.AcceptForeverAsync();
            return storage;
        }

        private async Task AcceptForeverAsync()
        {
            try
            {
                while (true)
                {
                    var client = await _listener!.AcceptTcpClientAsync(_stop.Token);
                    lock (_accepted)
                    {
                        _accepted.Add(client);
                    }
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // Stopped.
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener?.Stop();
            lock (_accepted)
            {
                _accepted.ForEach(c => c.Dispose());
            }

            _stop.Dispose();
        }
    }
}

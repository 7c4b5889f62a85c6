using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Azure.Storage.Queues;
using DashAI.Functions.E2ETests.Infrastructure;
using DashAI.Functions.LocalHost;

namespace DashAI.Functions.E2ETests;

public sealed class SampleAppFixture() : HarnessFixture("tests/DashAI.Functions.LocalHost.SampleApp", "sample-app");

/// <summary>The harness's own tests, against the tiny sample app: each host behaviour it claims to reproduce.</summary>
public sealed class HarnessSelfTests(SampleAppFixture fixture) : IClassFixture<SampleAppFixture>
{
    private static readonly TimeSpan QueueTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public void WorkerIndexesEveryFunctionAndReportsItsHttpUri()
    {
        Assert.Equal(
            ["Boom", "Echo", "GetItem", "Problem", "ProcessJob", "ProcessRaw"],
            fixture.Harness.Functions.Select(f => f.Name).Order().ToArray());
        Assert.NotNull(fixture.Harness.WorkerHttpUri);
    }

    [Fact]
    public async Task DisposingTheHarnessStopsTheWorkerProcess()
    {
        var harness = await FunctionsHostHarness.StartAsync(new HarnessOptions
        {
            AppPath = RepoPaths.Output("tests/DashAI.Functions.LocalHost.SampleApp"),
            StorageConnectionString = fixture.StorageConnectionString,
            LoggerFactory = fixture.Log.Factory,
        });
        var worker = System.Diagnostics.Process.GetProcessById(harness.WorkerProcessId!.Value);
        using (var client = harness.CreateClient())
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("sample/items/1")).StatusCode);
        }

        await harness.DisposeAsync();

        Assert.True(worker.WaitForExit(TimeSpan.FromSeconds(10)), "The worker process is still running after DisposeAsync.");
    }

    [Fact]
    public async Task HttpRouteUsesTheHostJsonPrefixRouteParametersAndQuery()
    {
        var item = await fixture.Client.GetFromJsonAsync<JsonElement>("sample/items/42?q=hello");

        Assert.Equal(42, item.GetProperty("id").GetInt32());
        Assert.Equal("hello", item.GetProperty("q").GetString());
        Assert.Equal("/sample/items/42", item.GetProperty("path").GetString());
    }

    [Fact]
    public async Task TrailingSlashMatchesTheRoute()
    {
        using var response = await fixture.Client.GetAsync("sample/items/7/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task RouteConstraintAndUnknownPathsAreNotFound()
    {
        using var notAnInt = await fixture.Client.GetAsync("sample/items/abc");
        using var noPrefix = await fixture.Client.GetAsync("api/items/1");

        Assert.Equal(HttpStatusCode.NotFound, notAnInt.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, noPrefix.StatusCode);
    }

    [Fact]
    public async Task RequestBodyHeadersAndStatusAreProxiedBothWays()
    {
        var payload = new string('x', 200_000);
        using var content = new StringContent(payload, Encoding.UTF8, "text/plain");

        using var response = await fixture.Client.PostAsync("sample/echo", content);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(payload.Length.ToString(), response.Headers.GetValues("x-echo-length").Single());
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType!.ToString());
        Assert.Equal(payload, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task MethodNotInTheFunctionsMethodsDoesNotInvokeIt()
    {
        using var response = await fixture.Client.GetAsync("sample/echo");

        Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
        Assert.NotEqual(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task UnhandledExceptionIsAServerError()
    {
        using var response = await fixture.Client.GetAsync("sample/boom");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
    }

    [Fact]
    public async Task ProblemDetailsKeepTheirContentType()
    {
        using var response = await fixture.Client.GetAsync("sample/problem/409");

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task QueueMessageIsDecodedInvokedWithTriggerMetadataAndDeleted()
    {
        var token = Guid.NewGuid().ToString("N");
        var jobs = fixture.Queue("sample-jobs");
        await jobs.CreateIfNotExistsAsync();

        await jobs.SendMessageAsync($"ok-{token}");

        // ProcessJob reports "job:<message>:<dequeueCount>:<has id>" on sample-done.
        var report = await WaitForReportAsync(r => r.Contains(token, StringComparison.Ordinal));
        Assert.Equal($"job:ok-{token}:1:True", report);
        await AssertQueueDrainedAsync(jobs);
    }

    [Fact]
    public async Task QueueMessageBindsThroughModelBindingData()
    {
        var token = Guid.NewGuid().ToString("N");
        var raw = fixture.Queue("sample-raw");
        await raw.CreateIfNotExistsAsync();

        await raw.SendMessageAsync($"{{\"token\":\"{token}\"}}");

        var report = await WaitForReportAsync(r => r.Contains(token, StringComparison.Ordinal));
        Assert.Equal($"raw:{{\"token\":\"{token}\"}}:1", report);
    }

    [Fact]
    public async Task FailingMessageIsRetriedThenMovedToThePoisonQueue()
    {
        var token = $"fail-{Guid.NewGuid():N}";
        var jobs = fixture.Queue("sample-jobs");
        var poison = fixture.Queue("sample-jobs-poison");
        await jobs.CreateIfNotExistsAsync();
        await poison.CreateIfNotExistsAsync();

        var sent = (await jobs.SendMessageAsync(token)).Value;

        // maxDequeueCount is 2 in the sample's host.json: two attempts, then poison with the same content.
        var deliveries = await WaitAsync(() => Task.FromResult(
            fixture.Harness.QueueDeliveries.Where(d => d.MessageId == sent.MessageId).ToList() is var found
            && found.Any(d => d.Outcome == QueueDeliveryOutcome.FailedAndPoisoned) ? found : null));
        Assert.True(deliveries is not null, $"Not poisoned within {QueueTimeout}.{Environment.NewLine}{fixture.Log.Tail()}");
        Assert.Equal(
            [(1L, QueueDeliveryOutcome.FailedAndReleased), (2L, QueueDeliveryOutcome.FailedAndPoisoned)],
            deliveries.Select(d => (d.DequeueCount, d.Outcome)).ToArray());
        Assert.All(deliveries, d => Assert.Contains("Failing on purpose", d.Error, StringComparison.Ordinal));
        var poisoned = (await poison.PeekMessagesAsync(32)).Value;
        Assert.Contains(poisoned, m => m.Body.ToString() == token);
        await AssertQueueDrainedAsync(jobs);
    }

    private async Task<string> WaitForReportAsync(Func<string, bool> match)
    {
        var done = fixture.Queue("sample-done");
        await done.CreateIfNotExistsAsync();
        var found = await WaitAsync(async () =>
        {
            foreach (var message in (await done.PeekMessagesAsync(32)).Value)
            {
                if (match(message.Body.ToString()))
                {
                    return message.Body.ToString();
                }
            }

            return null;
        });
        return found ?? throw new Xunit.Sdk.XunitException($"No report on sample-done within {QueueTimeout}.{Environment.NewLine}{fixture.Log.Tail()}");
    }

    private async Task AssertQueueDrainedAsync(QueueClient queue)
    {
        // Deleted, not merely invisible: Azurite's approximate count includes invisible messages.
        var drained = await WaitAsync(async () =>
            (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount == 0 ? "drained" : null);
        Assert.True(drained is not null, $"{queue.Name} still holds messages.{Environment.NewLine}{fixture.Log.Tail()}");
    }

    private static async Task<T?> WaitAsync<T>(Func<Task<T?>> probe)
        where T : class
    {
        var deadline = DateTime.UtcNow + QueueTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await probe() is { } value)
            {
                return value;
            }

            await Task.Delay(200);
        }

        return null;
    }
}

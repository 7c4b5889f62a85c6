using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using DashAI.Functions.E2ETests.Infrastructure;
using DashAI.Functions.LocalHost;

namespace DashAI.Functions.E2ETests;

/// <summary>The real app with a short heartbeat, so a dead attempt's job goes stale within seconds.</summary>
public sealed class ExplainerFixture() : HarnessFixture("src/DashAI.Functions", "dashai-explainers")
{
    public static IDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["DashAI__Training__HeartbeatSeconds"] = "1",
        // These tests time heartbeats in seconds: no background warm-up competing for the cores.
        ["DashAI__Training__WarmUp"] = "false",
        ["DashAI__Training__StaleAfterSeconds"] = "4",
    };

    protected override IDictionary<string, string> AppSettings => Settings;
}

/// <summary>A second instance of <see cref="ExplainerFixture"/>'s app for the test that kills the first one's worker.</summary>
public sealed class KilledWorkerFixture() : HarnessFixture("src/DashAI.Functions", "dashai-explainers-killed")
{
    protected override IDictionary<string, string> AppSettings => ExplainerFixture.Settings;
}

/// <summary>What explainer jobs do for a client over HTTP, through the real worker and queue.</summary>
internal static class ExplainerFlow
{
    public const int Started = 2;
    public const int Cancelled = 5;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(150);

    /// <summary>A trained LightGBM run on iris (its contributions need sampling Shapley values: a long job on demand).</summary>
    public static async Task<long> TrainedTreeRunAsync(DashAIApi api)
    {
        var unique = Guid.NewGuid().ToString("N")[..8];
        var experiment = await api.CreateExperimentAsync(await api.UploadIrisAsync($"iris-{unique}"), $"exp-{unique}");
        using var created = await api.Client.PostAsJsonAsync("api/v1/run", new JsonObject
        {
            ["experiment_id"] = experiment,
            ["model_name"] = "LightGbmClassifier",
            ["name"] = $"lightgbm-{unique}",
            ["parameters"] = new JsonObject(),
        });
        var run = await api.ReadIdAsync(created);
        await api.EnqueueAsync(run);
        var trained = await api.WaitForTerminalStatusAsync(run, Timeout);
        Assert.Equal(DashAIApi.Finished, trained["status"]!.GetValue<int>());
        return run;
    }

    /// <summary>Contributions of 50 rows with 4,000 column orders each: about a million rows scored, several seconds of work.</summary>
    public static async Task<JsonObject> CreateLongExplainerAsync(DashAIApi api, long run)
    {
        var rows = new JsonArray([.. Enumerable.Range(0, 50).Select(i => (JsonNode)new JsonObject
        {
            ["sepal_length"] = 4.5 + (i * 0.05),
            ["sepal_width"] = 3.0,
            ["petal_length"] = 1 + (i * 0.1),
            ["petal_width"] = 0.1 + (i * 0.04),
        })]);
        using var response = await api.Client.PostAsJsonAsync("api/v1/explainer", new JsonObject
        {
            ["run_id"] = run,
            ["explainer_name"] = "FeatureContributions",
            // Since explainers featurize once, 4,000 samples took 5 s on a quiet machine and 8,000 took 9 s: long enough
            // for a cancel at the next heartbeat and a kill mid-run.
            ["parameters"] = new JsonObject { ["rows"] = rows, ["n_samples"] = 8000 },
        });
        await api.AssertSuccessAsync(response);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    /// <summary>The job ends just after its explainer does (the worker records it last): wait for it.</summary>
    public static async Task<JsonObject> WaitForJobAsync(DashAIApi api, long job, string status, HarnessLog log)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        JsonObject? current = null;
        while (DateTime.UtcNow < deadline)
        {
            current = await api.Client.GetFromJsonAsync<JsonObject>($"api/v1/job/{job}");
            if (current!["status"]!.GetValue<string>() == status)
            {
                return current;
            }

            await Task.Delay(200);
        }

        throw new Xunit.Sdk.XunitException($"Job {job} is not {status}: {current?.ToJsonString()}{Environment.NewLine}{log.Tail()}");
    }

    public static async Task<JsonObject> WaitForStatusAsync(DashAIApi api, long explainer, Func<int, bool> done, HarnessLog log)
    {
        var deadline = DateTime.UtcNow + Timeout;
        JsonObject? current = null;
        while (DateTime.UtcNow < deadline)
        {
            current = await api.Client.GetFromJsonAsync<JsonObject>($"api/v1/explainer/{explainer}");
            if (done(current!["status"]!.GetValue<int>()))
            {
                return current;
            }

            await Task.Delay(200);
        }

        throw new Xunit.Sdk.XunitException($"Explainer {explainer} did not reach the status in time: {current?.ToJsonString()}{Environment.NewLine}{log.Tail()}");
    }
}

public sealed class ExplainerJobTests(ExplainerFixture fixture) : IClassFixture<ExplainerFixture>
{
    private readonly DashAIApi _api = new(fixture.Client, fixture.Log);

    [Fact]
    public async Task AnExplainerRunsAsAJobAndServesItsPlotOverHttp()
    {
        var run = await ExplainerFlow.TrainedTreeRunAsync(_api);
        using var response = await _api.Client.PostAsJsonAsync("api/v1/explainer", new JsonObject
        {
            ["run_id"] = run,
            ["explainer_name"] = "PermutationFeatureImportance",
        });
        var id = await _api.ReadIdAsync(response);

        var explainer = await ExplainerFlow.WaitForStatusAsync(_api, id, s => s is DashAIApi.Finished or DashAIApi.Error, fixture.Log);

        Assert.True(explainer["status"]!.GetValue<int>() == DashAIApi.Finished, explainer.ToJsonString());
        Assert.Equal(4, explainer["result"]!["features"]!.AsArray().Count);
        var job = await ExplainerFlow.WaitForJobAsync(_api, explainer["job_id"]!.GetValue<long>(), "succeeded", fixture.Log);
        Assert.Equal(2, job["type"]!.GetValue<int>());
        Assert.Equal(id, job["target_id"]!.GetValue<long>());
        using var plot = await _api.Client.GetAsync($"api/v1/explainer/{id}/plot");
        await _api.AssertSuccessAsync(plot);
        Assert.Equal("image/png", plot.Content.Headers.ContentType?.MediaType);
        var png = await plot.Content.ReadAsByteArrayAsync();
        Assert.Equal(1200, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)));
        Assert.Equal(800, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
    }

    [Fact]
    public async Task CancellingARunningExplainerStopsItAtItsNextCheck()
    {
        var run = await ExplainerFlow.TrainedTreeRunAsync(_api);
        var created = await ExplainerFlow.CreateLongExplainerAsync(_api, run);
        var id = created["id"]!.GetValue<long>();
        await ExplainerFlow.WaitForStatusAsync(_api, id, s => s != 1, fixture.Log);

        using var cancel = await _api.Client.DeleteAsync($"api/v1/job/{created["job_id"]}");
        await _api.AssertSuccessAsync(cancel);

        var explainer = await ExplainerFlow.WaitForStatusAsync(_api, id, s => s is ExplainerFlow.Cancelled or DashAIApi.Finished or DashAIApi.Error, fixture.Log);
        Assert.True(explainer["status"]!.GetValue<int>() == ExplainerFlow.Cancelled, $"{explainer.ToJsonString()}{Environment.NewLine}{fixture.Log.Tail()}");
        Assert.Null(explainer["result"]);
        await ExplainerFlow.WaitForJobAsync(_api, created["job_id"]!.GetValue<long>(), "cancelled", fixture.Log);
        using var plot = await _api.Client.GetAsync($"api/v1/explainer/{id}/plot");
        Assert.Equal(HttpStatusCode.NotFound, plot.StatusCode);
    }
}

public sealed class KilledExplainerWorkerTests(KilledWorkerFixture fixture) : IClassFixture<KilledWorkerFixture>
{
    /// <summary>
    /// The worker dies mid-explanation (killed, as when an instance is lost). Its message stays leased, so nothing
    /// happens until the stale-job recovery timer (which the harness does not run) re-sends the message of every
    /// running job whose heartbeat went stale: the test sends that message as the timer does. A second instance
    /// restarts the explainer from scratch and finishes it.
    /// </summary>
    [Fact]
    public async Task AnExplainerWhoseWorkerIsKilledIsRestartedByAnotherInstanceAndFinishes()
    {
        var first = new DashAIApi(fixture.Client, fixture.Log);
        var run = await ExplainerFlow.TrainedTreeRunAsync(first);
        var created = await ExplainerFlow.CreateLongExplainerAsync(first, run);
        var id = created["id"]!.GetValue<long>();
        var jobId = created["job_id"]!.GetValue<long>();
        var started = await ExplainerFlow.WaitForStatusAsync(first, id, s => s != 1, fixture.Log);
        Assert.Equal(ExplainerFlow.Started, started["status"]!.GetValue<int>());

        using (var worker = System.Diagnostics.Process.GetProcessById(fixture.Harness.WorkerProcessId!.Value))
        {
            worker.Kill(entireProcessTree: true);
            await worker.WaitForExitAsync();
        }

        // The first instance's host goes too, so only the second one takes messages.
        await fixture.Harness.StopAsync();

        await using var second = await FunctionsHostHarness.StartAsync(new HarnessOptions
        {
            AppPath = RepoPaths.Output("src/DashAI.Functions"),
            StorageConnectionString = fixture.StorageConnectionString,
            AppSettings = ExplainerFixture.Settings,
            LoggerFactory = fixture.Log.Factory,
            MaxPollingIntervalCap = TimeSpan.FromSeconds(1),
        });
        using var client = second.CreateClient();
        var api = new DashAIApi(client, fixture.Log);

        // Wait until the dead attempt's heartbeat is stale (4 s), then re-send the job's message as recovery does.
        await Task.Delay(TimeSpan.FromSeconds(5));
        var message = new JsonObject { ["job_id"] = jobId, ["run_id"] = run, ["type"] = 2, ["target_id"] = id };
        await fixture.Queue("training-jobs").SendMessageAsync(message.ToJsonString());

        var explainer = await ExplainerFlow.WaitForStatusAsync(api, id, s => s is DashAIApi.Finished or DashAIApi.Error or ExplainerFlow.Cancelled, fixture.Log);
        Assert.True(explainer["status"]!.GetValue<int>() == DashAIApi.Finished, $"{explainer.ToJsonString()}{Environment.NewLine}{fixture.Log.Tail()}");
        Assert.Equal(50, explainer["result"]!["rows"]!.AsArray().Count);
        Assert.Equal(50, explainer["plot_count"]!.GetValue<int>());
        var job = await ExplainerFlow.WaitForJobAsync(api, jobId, "succeeded", fixture.Log);
        Assert.Equal(2, job["attempts"]!.GetValue<int>());
    }
}

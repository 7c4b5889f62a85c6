using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using DashAI.Functions.E2ETests.Infrastructure;
using DashAI.Functions.LocalHost;
using DashAI.Functions.Tests.Infrastructure;

namespace DashAI.Functions.E2ETests;

/// <summary>The real app under the harness with short heartbeats, so a dead attempt goes stale within seconds.</summary>
public class SearchFixture : HarnessFixture
{
    public SearchFixture()
        : this("dashai-search")
    {
    }

    protected SearchFixture(string logName)
        : base("src/DashAI.Functions", logName)
    {
    }

    public static IDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["DashAI__Training__HeartbeatSeconds"] = "1",
        // These tests time heartbeats in seconds: no background warm-up competing for the cores.
        ["DashAI__Training__WarmUp"] = "false",
        ["DashAI__Training__StaleAfterSeconds"] = "5",
    };

    protected override IDictionary<string, string> AppSettings => Settings;

    /// <summary>Another instance of the app on the same storage: it serves the same API and takes messages from the same queue.</summary>
    public Task<FunctionsHostHarness> StartAnotherInstanceAsync(string logName) =>
        FunctionsHostHarness.StartAsync(new HarnessOptions
        {
            AppPath = RepoPaths.Output("src/DashAI.Functions"),
            StorageConnectionString = StorageConnectionString,
            AppSettings = Settings,
            LoggerFactory = new HarnessLog(logName).Factory,
            MaxPollingIntervalCap = TimeSpan.FromSeconds(1),
        });
}

/// <summary>
/// Reads from the API the way a client should on a machine under load: a 503 (storage did not answer in time; the API
/// says so with Retry-After) is retried for a while.
/// </summary>
internal static class PatientApi
{
    public static async Task<T> GetAsync<T>(HttpClient client, string url)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (true)
        {
            using var response = await client.GetAsync(url);
            if (response.StatusCode != System.Net.HttpStatusCode.ServiceUnavailable || DateTime.UtcNow > deadline)
            {
                response.EnsureSuccessStatusCode();
                return (await response.Content.ReadFromJsonAsync<T>())!;
            }

            await Task.Delay(TimeSpan.FromSeconds(1));
        }
    }

    /// <summary>Polls the run until it is FINISHED, ERROR or CANCELLED.</summary>
    public static async Task<JsonObject> WaitForEndAsync(HttpClient client, long runId, TimeSpan timeout, HarnessLog log)
    {
        var deadline = DateTime.UtcNow + timeout;
        JsonObject? run = null;
        while (DateTime.UtcNow < deadline)
        {
            run = await GetAsync<JsonObject>(client, $"api/v1/run/{runId}");
            if (run["status"]!.GetValue<int>() is 3 or 4 or 5)
            {
                return run;
            }

            await Task.Delay(500);
        }

        throw new Xunit.Sdk.XunitException($"Run {runId} did not end within {timeout}: {run?.ToJsonString()}{Environment.NewLine}{log.Tail()}");
    }
}

/// <summary>The calls both search test classes make: a tuned LightGbmClassifier run on a sample, its trials and trial jobs.</summary>
internal static class SearchFlow
{
    public static async Task<long> TunedRunAsync(DashAIApi api, string file, JsonObject parameters, JsonObject optimizer)
    {
        var unique = Guid.NewGuid().ToString("N")[..8];
        var dataset = await api.UploadSampleAsync(file, $"{file}-{unique}");
        var experiment = await api.CreateExperimentAsync(dataset, $"exp-{unique}");
        using var response = await api.Client.PostAsJsonAsync("api/v1/run", new JsonObject
        {
            ["experiment_id"] = experiment,
            ["model_name"] = "LightGbmClassifier",
            ["name"] = $"tuned-{unique}",
            ["parameters"] = parameters,
            ["optimizer"] = optimizer,
        });
        return await api.ReadIdAsync(response);
    }

    public static Task<JsonArray> TrialsAsync(HttpClient client, long runId) =>
        PatientApi.GetAsync<JsonArray>(client, $"api/v1/run/{runId}/trials");

    public static async Task<List<JsonObject>> TrialJobsAsync(HttpClient client, long runId) =>
        [.. (await PatientApi.GetAsync<JsonArray>(client, "api/v1/job?status=all"))
            .Select(j => j!.AsObject())
            .Where(j => j["type"]!.GetValue<int>() == 3 && j["run_id"]!.GetValue<long>() == runId)];
}

/// <summary>A fixture of its own for the test that kills the fixture's worker.</summary>
public sealed class KilledSearchFixture() : SearchFixture("dashai-search-killed");

/// <summary>Tuned runs through the host: trials fan out over the queue to two instances of the app.</summary>
public sealed class SearchTests(SearchFixture fixture) : IClassFixture<SearchFixture>
{
    private static readonly TimeSpan SearchTimeout = TimeSpan.FromMinutes(6);

    private readonly DashAIApi _api = new(fixture.Client, fixture.Log);

    [Fact]
    public async Task ATunedRunsTrialsRunInParallelOnTwoInstancesNoneLostOrDoubledAndTheBestParametersAreStored()
    {
        await using var second = await fixture.StartAnotherInstanceAsync("dashai-search-second");
        var runId = await SearchFlow.TunedRunAsync(
            _api,
            "iris.csv",
            JsonNode.Parse("""
                {"learning_rate": {"optimize": true, "lower_bound": 0.01, "upper_bound": 0.3},
                 "number_of_leaves": {"optimize": true, "lower_bound": 4, "upper_bound": 16},
                 "number_of_iterations": {"optimize": true, "lower_bound": 20, "upper_bound": 120},
                 "minimum_example_count_per_leaf": 5}
                """)!.AsObject(),
            new JsonObject { ["name"] = "TPE", ["n_trials"] = 12, ["parallelism"] = 4, ["seed"] = 7 });
        var jobId = await _api.EnqueueAsync(runId);

        var run = await PatientApi.WaitForEndAsync(fixture.Client, runId, SearchTimeout, fixture.Log);

        Assert.True(run["status"]!.GetValue<int>() == DashAIApi.Finished, $"{run.ToJsonString()}{Environment.NewLine}{fixture.Log.Tail()}");
        var trials = await SearchFlow.TrialsAsync(fixture.Client, runId);
        Assert.Equal(Enumerable.Range(0, 12), trials.Select(t => t!["number"]!.GetValue<int>()).Order());
        Assert.All(trials, t => Assert.Contains(t!["status"]!.GetValue<string>(), new[] { "finished", "stopped" }));
        var jobs = await SearchFlow.TrialJobsAsync(fixture.Client, runId);
        Assert.Equal(12, jobs.Count);
        Assert.All(jobs, j => Assert.Equal("succeeded", j["status"]!.GetValue<string>()));
        Assert.Equal(12, run["trials_done"]!.GetValue<int>());
        Assert.Equal("succeeded", (await PatientApi.GetAsync<JsonObject>(fixture.Client, $"api/v1/job/{jobId}"))["status"]!.GetValue<string>());

        // Both instances fitted trials: each trial job's message was taken by one of them, and each exactly once with success.
        var trialJobIds = jobs.Select(j => j["id"]!.GetValue<long>()).ToHashSet();
        long? TrialJobOf(QueueDelivery d) =>
            JsonNode.Parse(d.MessageText) is JsonObject m && m["type"]?.GetValue<int>() == 3 ? m["job_id"]!.GetValue<long>() : null;
        var byFirst = fixture.Harness.QueueDeliveries.Where(d => d.Outcome == QueueDeliveryOutcome.Succeeded).Select(TrialJobOf).OfType<long>().Where(trialJobIds.Contains).ToList();
        var bySecond = second.QueueDeliveries.Where(d => d.Outcome == QueueDeliveryOutcome.Succeeded).Select(TrialJobOf).OfType<long>().Where(trialJobIds.Contains).ToList();
        Assert.True(byFirst.Count > 0 && bySecond.Count > 0, $"trials per instance: {byFirst.Count} and {bySecond.Count}");
        Assert.Equal(trialJobIds.Order(), byFirst.Concat(bySecond).Order());

        // The run keeps the best full trial's values as its parameters, and its specs under search_space.
        var best = trials.Select(t => t!.AsObject()).Where(t => t["status"]!.GetValue<string>() == "finished")
            .OrderByDescending(t => t["value"]!.GetValue<double>()).ThenBy(t => t["number"]!.GetValue<int>()).First();
        Assert.Equal(best["value"]!.GetValue<double>(), run["best_validation_metric"]!.GetValue<double>());
        foreach (var (name, value) in best["parameters"]!.AsObject())
        {
            Assert.True(JsonNode.DeepEquals(value, run["parameters"]![name]), $"{name}: run has {run["parameters"]![name]}, best trial {value}");
        }

        Assert.Equal(3, run["search_space"]!.AsObject().Count);
        Assert.Equal($"models/{runId}/model.zip", run["run_path"]!.GetValue<string>());
    }
}

/// <summary>A trial whose worker is killed in the middle of its fit is restarted on another instance and counted once.</summary>
public sealed class KilledTrialTests(KilledSearchFixture fixture) : IClassFixture<KilledSearchFixture>
{
    // Generous: on a 2-core machine under load 30+ one digits fit took over 6 minutes.
    private static readonly TimeSpan SearchTimeout = TimeSpan.FromMinutes(15);

    private readonly DashAIApi _api = new(fixture.Client, fixture.Log);

    [Fact]
    public async Task ATrialWhoseWorkerIsKilledMidFitIsRestartedOnAnotherInstanceAndCountedOnce()
    {
        // One instance starts the search; the trial shows running from its claim on, before its splits are read and fitted, so the kill lands mid-trial.
        var first = fixture.Harness;
        var runId = await SearchFlow.TunedRunAsync(
            _api,
            "digits.csv",
            JsonNode.Parse("""{"learning_rate": {"optimize": true, "lower_bound": 0.05, "upper_bound": 0.1}, "number_of_iterations": 120}""")!.AsObject(),
            new JsonObject { ["name"] = "Random", ["n_trials"] = 2, ["parallelism"] = 1 });
        var client = fixture.Client;
        await _api.EnqueueAsync(runId);

        JsonObject? running = null;
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (running is null && DateTime.UtcNow < deadline)
        {
            running = (await SearchFlow.TrialsAsync(client, runId)).Select(t => t!.AsObject()).FirstOrDefault(t => t["status"]!.GetValue<string>() == "running");
            await Task.Delay(100);
        }

        Assert.NotNull(running);
        System.Diagnostics.Process.GetProcessById(first.WorkerProcessId!.Value).Kill(entireProcessTree: true);
        await first.StopAsync();

        // The message stays leased by the dead instance; the platform's stale-job timer (RecoverStaleJobs, which the
        // harness does not fire) re-sends the message of a running job whose heartbeat went stale: the test does what it does.
        await Task.Delay(TimeSpan.FromSeconds(7));
        await using var survivor = await fixture.StartAnotherInstanceAsync("dashai-search-survivor");
        using var survivorClient = survivor.CreateClient();
        var trialJob = (await SearchFlow.TrialJobsAsync(survivorClient, runId)).Single(j => j["target_id"]!.GetValue<long>() == running!["id"]!.GetValue<long>());
        Assert.Equal("running", trialJob["status"]!.GetValue<string>());
        var message = new JsonObject { ["job_id"] = trialJob["id"]!.GetValue<long>(), ["run_id"] = runId, ["type"] = 3, ["target_id"] = running!["id"]!.GetValue<long>() };
        await fixture.Queue("training-jobs").SendMessageAsync(message.ToJsonString());

        var run = await PatientApi.WaitForEndAsync(survivorClient, runId, SearchTimeout, fixture.Log);

        Assert.True(run["status"]!.GetValue<int>() == DashAIApi.Finished, run.ToJsonString());
        Assert.Equal(2, run["trials_done"]!.GetValue<int>());
        var trials = await SearchFlow.TrialsAsync(survivorClient, runId);
        Assert.Equal([0, 1], trials.Select(t => t!["number"]!.GetValue<int>()).Order());
        var restarted = await PatientApi.GetAsync<JsonObject>(survivorClient, $"api/v1/job/{trialJob["id"]!.GetValue<long>()}");
        Assert.Equal("succeeded", restarted!["status"]!.GetValue<string>());
        Assert.Equal(2, restarted["attempts"]!.GetValue<int>());
        Assert.Equal(2, (await SearchFlow.TrialJobsAsync(survivorClient, runId)).Count);
    }
}

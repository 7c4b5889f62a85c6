using System.Text.Json.Nodes;
using DashAI.Functions.Components;
using DashAI.Functions.Datasets;
using DashAI.Functions.Experiments;
using DashAI.Functions.Jobs;
using DashAI.Functions.Runs;
using DashAI.Functions.Search;
using DashAI.Functions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace DashAI.Functions.Tests.Search;

/// <summary>Tuned runs in-process: real uploads, real ML.NET trials through the queue as the host drives it.</summary>
public sealed class SearchFlowTests : IAsyncLifetime
{
    private static readonly JsonObject Space = JsonNode.Parse("""
        {"learning_rate": {"optimize": true, "lower_bound": 0.01, "upper_bound": 0.3},
         "number_of_leaves": {"optimize": true, "lower_bound": 4, "upper_bound": 16},
         "number_of_iterations": {"optimize": true, "lower_bound": 10, "upper_bound": 60},
         "minimum_example_count_per_leaf": 5}
        """)!.AsObject();

    private readonly TestApp _app = TestApp.Create(settings: new Dictionary<string, string?>
    {
        ["DashAI:Training:HeartbeatSeconds"] = "1",
        ["DashAI:Training:StaleAfterSeconds"] = "5",
    });

    private QueueHost _host = null!;

    public Task InitializeAsync()
    {
        _host = new QueueHost(_app);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private async Task<long> ExperimentAsync(string name, string file = "iris.csv")
    {
        var dataset = (await _app.Invoke(
            await Uploads.Request(_app, Uploads.Params(name, "TabularClassificationTask"), Uploads.SharedFile(file), file),
            _app.Function<DatasetUploadFunction>().Create)).AssertStatus(201).Id;
        return (await _app.Invoke(
            _app.Request("POST", query: $"dataset_id={dataset}&task_name=TabularClassificationTask&name={name}"),
            _app.Function<ExperimentFunctions>().Create)).AssertStatus(201).Id;
    }

    private Task<TestResponse> CreateRunAsync(long experimentId, JsonObject parameters, JsonObject? optimizer, string model = "LightGbmClassifier") =>
        _app.Invoke(
            _app.Request("POST", json: new JsonObject
            {
                ["experiment_id"] = experimentId, ["model_name"] = model, ["name"] = "tuned-" + Guid.NewGuid().ToString("N")[..6],
                ["parameters"] = parameters.DeepClone(), ["optimizer"] = optimizer?.DeepClone(),
            }),
            _app.Function<RunFunctions>().Create);

    private async Task<(long Run, long Job)> StartAsync(string name, int trials, int parallelism, JsonObject? space = null, string file = "iris.csv")
    {
        var experiment = await ExperimentAsync(name, file);
        var run = (await CreateRunAsync(experiment, space ?? Space, new JsonObject { ["name"] = "TPE", ["n_trials"] = trials, ["parallelism"] = parallelism, ["seed"] = 3 }))
            .AssertStatus(201).Id;
        var job = (await _app.Invoke(_app.Request("POST", query: $"run_id={run}"), _app.Function<JobFunctions>().Enqueue)).AssertStatus(201).Id;
        return (run, job);
    }

    private Task<RunEntity> Run(long id) => _app.Stores.Runs.GetAsync(id, default);

    private Task<List<TrialEntity>> Trials(long run, long job) => _app.Services.GetRequiredService<SearchCoordinator>().ListTrialsAsync(run, job, default);

    private async Task<List<JobEntity>> TrialJobs(long run) =>
        [.. (await _app.Stores.Jobs.ListAsync(Azure.Data.Tables.TableClient.CreateQueryFilter($"RunId eq {run} and Type eq {JobTypes.Trial}"), default))];

    /// <summary>Two consumers pump the queue at once, as two instances would, until it stays empty.</summary>
    private async Task<List<Delivery>> PumpTwoAsync()
    {
        var deliveries = new System.Collections.Concurrent.ConcurrentBag<Delivery>();
        async Task Pump()
        {
            var idle = 0;
            while (idle < 3 && deliveries.Count < 200)
            {
                if (await _host.DeliverNextAsync() is { } delivery)
                {
                    deliveries.Add(delivery);
                    idle = 0;
                }
                else
                {
                    idle++;
                    await Task.Delay(200);
                }
            }
        }

        await Task.WhenAll(Pump(), Pump());
        return [.. deliveries];
    }

    [Fact]
    public async Task ATunedRunSearchesWithParallelTrialsCountsEachOnceAndStoresTheBestTrialsParameters()
    {
        var (runId, jobId) = await StartAsync("tuned-iris", trials: 8, parallelism: 3);

        // The run's job starts the search: the first trials, at most `parallelism`, and then it waits.
        var first = await _host.DeliverNextAsync();
        Assert.True(first!.Succeeded, first.Error?.ToString());
        Assert.Equal([0, 1, 2], (await Trials(runId, jobId)).Select(t => t.Number));
        var searching = await Run(runId);
        Assert.Equal((RunStatus.Started, SearchStages.Searching, 8, 0), (searching.RunStatus, searching.Stage, searching.TrialsTotal, searching.TrialsDone));
        var waiting = await _app.Stores.Jobs.GetAsync(jobId, default);
        Assert.True(waiting.Waiting);
        Assert.Equal(JobStatus.Running, waiting.Status);

        var deliveries = await PumpTwoAsync();

        Assert.All(deliveries, d => Assert.True(d.Succeeded, d.Error?.ToString()));
        var run = await Run(runId);
        Assert.Equal(RunStatus.Finished, run.RunStatus);
        var trials = await Trials(runId, jobId);
        Assert.Equal(Enumerable.Range(0, 8), trials.Select(t => t.Number));
        Assert.All(trials, t => Assert.Contains(t.Status, new[] { TrialStatus.Finished, TrialStatus.Stopped }));
        // Two completions racing to give one trial its job each reserve an id; the trial's ETag picks the winner and
        // only the winner's job is ever created. Every trial ran under exactly one job, and no other trial job exists.
        var jobs = await TrialJobs(runId);
        Assert.Equal(8, jobs.Count);
        Assert.All(jobs, j => Assert.Equal(JobStatus.Succeeded, j.Status));
        Assert.Equal(trials.Select(t => t.JobId!.Value).Order(), jobs.Select(j => j.Id).Order());
        Assert.Equal(8, run.TrialsDone);
        Assert.Equal(JobStatus.Succeeded, (await _app.Stores.Jobs.GetAsync(jobId, default)).Status);

        // The best full trial's values are what the run trained with; the specs stay under search_space.
        var best = trials.Where(t => t.Status == TrialStatus.Finished).OrderByDescending(t => t.Value).ThenBy(t => t.Number).First();
        Assert.Equal(best.Id, run.BestTrialId);
        Assert.Equal(best.Value, run.BestValue);
        var parameters = JsonNode.Parse(run.Parameters)!.AsObject();
        foreach (var (name, value) in JsonNode.Parse(best.Parameters)!.AsObject())
        {
            Assert.True(JsonNode.DeepEquals(value, parameters[name]), $"{name}: {parameters[name]} is not the best trial's {value}");
        }

        Assert.Equal(5, parameters["minimum_example_count_per_leaf"]!.GetValue<long>());
        Assert.Equal(["learning_rate", "number_of_leaves", "number_of_iterations"], JsonNode.Parse(run.SearchSpace!)!.AsObject().Select(p => p.Key));
        Assert.Equal(best.Value!.Value, JsonNode.Parse(run.ValidationMetrics!)!["accuracy"]!.GetValue<double>(), 9);
        Assert.NotNull(JsonNode.Parse(run.TestMetrics!)!["accuracy"]);
        Assert.Contains($"{_app.Storage.Names.ModelsContainer}/{runId}/model.zip", await _app.RunBlobsAsync(runId));

        // The API shows the progress fields and lists the trials, paged.
        var dto = (await _app.Invoke(_app.Request("GET"), (r, ct) => _app.Function<RunFunctions>().Get(r, runId.ToString(), ct))).AssertStatus(200).Json;
        Assert.Equal(8, dto["trials_done"]!.GetValue<int>());
        Assert.Equal("TPE", dto["optimizer"]!["name"]!.GetValue<string>());
        Assert.Equal(best.Value, dto["best_validation_metric"]!.GetValue<double>());
        var page = await _app.Invoke(_app.Request("GET", query: "limit=5"), (r, ct) => _app.Function<TrialFunctions>().List(r, runId.ToString(), ct));
        Assert.Equal(5, page.AssertStatus(200).Json.AsArray().Count);
        Assert.Contains("rel=\"next\"", page.Headers.Link.ToString(), StringComparison.Ordinal);
        var plot = await _app.Invoke(_app.Request("GET"), (r, ct) => _app.Function<TrialFunctions>().Plot(r, runId.ToString(), ct));
        Assert.Equal("image/png", plot.AssertStatus(200).ContentType);
        plot.RawBody.Position = 0;
        var png = new byte[8];
        Assert.Equal(8, await plot.RawBody.ReadAsync(png));
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, png);

        // Deleting the run deletes its trials too.
        (await _app.Invoke(_app.Request("DELETE"), (r, ct) => _app.Function<RunFunctions>().Delete(r, runId.ToString(), ct))).AssertStatus(204);
        Assert.Empty(await _app.Stores.Trials.ListAsync(Azure.Data.Tables.TableClient.CreateQueryFilter($"RunId eq {runId}"), default));
    }

    [Fact]
    public async Task ADuplicateTrialMessageIsANoOpAndATrialCountsOnce()
    {
        var (runId, jobId) = await StartAsync("dup-iris", trials: 3, parallelism: 1);
        Assert.True((await _host.DeliverNextAsync())!.Succeeded);
        var message = await _host.ReceiveAsync();
        var worker = _app.Services.GetRequiredService<JobWorker>();

        var delivery = await _host.InvokeAsync(message);
        await worker.ProcessAsync(message.MessageText, 2, default);
        await worker.ProcessAsync(message.MessageText, 3, default);

        Assert.True(delivery.Succeeded, delivery.Error?.ToString());
        var trials = await Trials(runId, jobId);
        Assert.Equal([0, 1], trials.Select(t => t.Number));
        Assert.Equal(1, (await Run(runId)).TrialsDone);
        var firstJob = await _app.Stores.Jobs.GetAsync(trials[0].JobId!.Value, default);
        Assert.Equal((JobStatus.Succeeded, 1), (firstJob.Status, firstJob.Attempts));
    }

    [Fact]
    public async Task CancellingTheRunsJobMidSearchStopsPendingTrialsAndEndsTheRunCancelled()
    {
        var (runId, jobId) = await StartAsync("cancel-iris", trials: 10, parallelism: 3);
        Assert.True((await _host.DeliverNextAsync())!.Succeeded);
        Assert.True((await _host.DeliverNextAsync())!.Succeeded);

        var cancel = await _app.Invoke(_app.Request("DELETE"), (r, ct) => _app.Function<JobFunctions>().Cancel(r, jobId.ToString(), ct));
        var deliveries = await _host.DrainAsync();

        cancel.AssertStatus(200);
        Assert.All(deliveries, d => Assert.True(d.Succeeded, d.Error?.ToString()));
        var run = await Run(runId);
        Assert.Equal(RunStatus.Cancelled, run.RunStatus);
        Assert.Equal(JobStatus.Cancelled, (await _app.Stores.Jobs.GetAsync(jobId, default)).Status);
        var trials = await Trials(runId, jobId);
        // One trial was fitted before the cancel and created the next; nothing was created after it.
        Assert.Equal(4, trials.Count);
        Assert.Single(trials, t => t.Status is TrialStatus.Finished or TrialStatus.Stopped);
        Assert.All(trials.Where(t => t.Status is not (TrialStatus.Finished or TrialStatus.Stopped)), t => Assert.Equal(TrialStatus.Cancelled, t.Status));
        Assert.All(await TrialJobs(runId), j => Assert.False(JobStatus.IsActive(j.Status)));
        Assert.Null(run.RunPath);
    }

    [Fact]
    public async Task ATrialInterruptedMidFitIsRedeliveredFittedAgainAndCountedOnce()
    {
        // Digits with 300 boosting rounds of 10 trees each: a fit long enough to be caught in the middle.
        var slow = JsonNode.Parse("""{"learning_rate": {"optimize": true, "lower_bound": 0.05, "upper_bound": 0.1}, "number_of_iterations": 300}""")!.AsObject();
        var (runId, jobId) = await StartAsync("killed-digits", trials: 2, parallelism: 1, slow, "digits.csv");
        Assert.True((await _host.DeliverNextAsync())!.Succeeded);

        // The host stops the instance while the trial fits: its message comes back, and the next delivery restarts it.
        using var stopping = new CancellationTokenSource();
        var trialId = (await Trials(runId, jobId))[0].Id;
        var interrupted = _host.DeliverNextAsync(stopping.Token);
        while ((await _app.Stores.Trials.GetAsync(trialId, default)).Status != TrialStatus.Running)
        {
            await Task.Delay(20);
        }

        await stopping.CancelAsync();
        var stopped = await interrupted;
        var deliveries = await _host.DrainAsync();

        Assert.False(stopped!.Succeeded);
        Assert.All(deliveries, d => Assert.True(d.Succeeded, d.Error?.ToString()));
        var run = await Run(runId);
        Assert.Equal((RunStatus.Finished, 2), (run.RunStatus, run.TrialsDone));
        var trials = await Trials(runId, jobId);
        Assert.Equal([0, 1], trials.Select(t => t.Number));
        var restarted = await _app.Stores.Jobs.GetAsync(trials[0].JobId!.Value, default);
        Assert.Equal((JobStatus.Succeeded, 2), (restarted.Status, restarted.Attempts));
        Assert.Equal(2, (await TrialJobs(runId)).Count);
    }

    [Fact]
    public async Task BadSpecsAndOptimizersAreRefusedWithEveryReasonBeforeAnythingIsStored()
    {
        var experiment = await ExperimentAsync("bad-specs");

        var response = await CreateRunAsync(
            experiment,
            JsonNode.Parse("""{"learning_rate": {"optimize": true, "lower_bound": 0, "upper_bound": 0.3}, "booster": {"optimize": true, "choices": ["gbdt", "xgb"]}}""")!.AsObject(),
            JsonNode.Parse("""{"name": "Grid", "n_trials": 1000, "metric": "r2"}""")!.AsObject());
        var missingOptimizer = await CreateRunAsync(experiment, Space, null);

        var detail = response.AssertProblem(400).Json.ToJsonString();
        foreach (var expected in new[] { "learning_rate", "booster", "n_trials", "Grid", "r2" })
        {
            Assert.Contains(expected, detail, StringComparison.Ordinal);
        }

        missingOptimizer.AssertProblem(400, "needs an 'optimizer'");
        Assert.Empty(await _app.Stores.Runs.ListAsync(Azure.Data.Tables.TableClient.CreateQueryFilter($"ExperimentId eq {experiment}"), default));
    }

    [Fact]
    public async Task TheRegistryListsTheOptimizers()
    {
        var response = await _app.Function<ComponentFunctions>().List(_app.Request("GET", query: "select_types=Optimizer"), CancellationToken.None);

        var listed = Assert.IsAssignableFrom<Microsoft.AspNetCore.Http.HttpResults.Ok<IEnumerable<ComponentDto>>>(response).Value!.ToList();
        Assert.Equal(["TPE", "Random"], listed.Select(c => c.Name));
        Assert.All(listed, c => Assert.Equal("Optimizer", c.Type));
    }
}

/// <summary>Stale recovery of a searching run, on a clock the test moves.</summary>
public sealed class SearchRecoveryTests : IAsyncLifetime
{
    private readonly Microsoft.Extensions.Time.Testing.FakeTimeProvider _clock = new(DateTimeOffset.UtcNow) { AutoAdvanceAmount = TimeSpan.FromMilliseconds(1) };
    private TestApp _app = null!;
    private QueueHost _host = null!;

    public Task InitializeAsync()
    {
        _app = TestApp.Create(s => s.AddSingleton<TimeProvider>(_clock), new Dictionary<string, string?> { ["DashAI:Training:StaleAfterSeconds"] = "30" });
        _host = new QueueHost(_app);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task ATrialWhoseMessageWasLostIsSentAgainByStaleRecoveryAndTheSearchFinishes()
    {
        var dataset = (await _app.Invoke(
            await Uploads.Request(_app, Uploads.Params("lost-iris", "TabularClassificationTask"), Uploads.SharedFile("iris.csv"), "iris.csv"),
            _app.Function<DatasetUploadFunction>().Create)).AssertStatus(201).Id;
        var experiment = (await _app.Invoke(
            _app.Request("POST", query: $"dataset_id={dataset}&task_name=TabularClassificationTask&name=lost-iris"),
            _app.Function<ExperimentFunctions>().Create)).AssertStatus(201).Id;
        var runId = (await _app.Invoke(
            _app.Request("POST", json: new JsonObject
            {
                ["experiment_id"] = experiment, ["model_name"] = "LightGbmClassifier", ["name"] = "lost",
                ["parameters"] = JsonNode.Parse("""{"learning_rate": {"optimize": true, "lower_bound": 0.05, "upper_bound": 0.2}, "number_of_iterations": 20}"""),
                ["optimizer"] = new JsonObject { ["name"] = "Random", ["n_trials"] = 2, ["parallelism"] = 1, ["seed"] = 1 },
            }),
            _app.Function<RunFunctions>().Create)).AssertStatus(201).Id;
        var jobId = (await _app.Invoke(_app.Request("POST", query: $"run_id={runId}"), _app.Function<JobFunctions>().Enqueue)).AssertStatus(201).Id;
        Assert.True((await _host.DeliverNextAsync())!.Succeeded);

        // The only trial in flight loses its message (its instance died right after creating it): nothing else would send it.
        var lost = await _host.ReceiveAsync();
        await _app.Storage.Queue(_app.Storage.Names.TrainingQueueName).DeleteMessageAsync(lost.MessageId, lost.PopReceipt);
        var worker = _app.Services.GetRequiredService<JobWorker>();

        var early = await worker.RecoverStaleJobsAsync(default);
        _clock.Advance(TimeSpan.FromMinutes(5));
        var late = await worker.RecoverStaleJobsAsync(default);
        var deliveries = await _host.DrainAsync();

        Assert.Equal(0, early);
        Assert.Equal(1, late);
        Assert.All(deliveries, d => Assert.True(d.Succeeded, d.Error?.ToString()));
        var run = await _app.Stores.Runs.GetAsync(runId, default);
        Assert.Equal((RunStatus.Finished, 2), (run.RunStatus, run.TrialsDone));
        var trials = await _app.Services.GetRequiredService<SearchCoordinator>().ListTrialsAsync(runId, jobId, default);
        Assert.Equal([0, 1], trials.Select(t => t.Number));
        var jobs = await _app.Stores.Jobs.ListAsync(Azure.Data.Tables.TableClient.CreateQueryFilter($"RunId eq {runId} and Type eq {JobTypes.Trial}"), default);
        Assert.Equal(2, jobs.Count);
        Assert.All(jobs, j => Assert.Equal((JobStatus.Succeeded, 1), (j.Status, j.Attempts)));
    }
}

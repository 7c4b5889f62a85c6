using System.Text;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Queues;
using DashAI.Functions.Jobs;
using DashAI.Functions.Runs;
using DashAI.Functions.Tests.Infrastructure;
using DashAI.Functions.Training;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace DashAI.Functions.Tests.Jobs;

public sealed class JobFunctionsTests : IAsyncLifetime
{
    private readonly FakeTrainer _trainer = new();

    // The worker's clock: heartbeats, staleness and recovery move only when a test advances it.
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow) { AutoAdvanceAmount = TimeSpan.FromMilliseconds(1) };
    private readonly TestApp _app;
    private readonly QueueHost _host;
    private JobFunctions _jobs = null!;
    private RunFunctions _runs = null!;

    public JobFunctionsTests()
    {
        _app = TestApp.Create(
            s => s.AddSingleton<IRunTrainer>(_trainer).AddSingleton<TimeProvider>(_clock),
            new Dictionary<string, string?> { ["DashAI:Training:HeartbeatSeconds"] = "1", ["DashAI:Training:StaleAfterSeconds"] = "3" });
        _host = new QueueHost(_app);
    }

    /// <summary>
    /// Advances the worker's clock one heartbeat at a time until <paramref name="done"/> holds. The worker may not have
    /// armed its next beat yet when the clock moves, so it keeps advancing; the wall-clock limit only stops a hung test.
    /// </summary>
    private async Task AdvanceUntilAsync(Func<Task<bool>> done)
    {
        var limit = DateTime.UtcNow.AddSeconds(60);
        while (!await done())
        {
            Assert.True(DateTime.UtcNow < limit, "the worker did not react to the clock within 60 s");
            _clock.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(20);
        }
    }

    public Task InitializeAsync()
    {
        _jobs = _app.Function<JobFunctions>();
        _runs = _app.Function<RunFunctions>();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private async Task<RunEntity> NewRun(RunStatus status = RunStatus.NotStarted) =>
        await Seed.Run(_app, (await Seed.Experiment(_app)).Id, status);

    private Task<TestResponse> Enqueue(long runId) =>
        _app.Invoke(_app.Request("POST", query: $"run_id={runId}"), _jobs.Enqueue);

    private Task<TestResponse> Cancel(long jobId) =>
        _app.Invoke(_app.Request("DELETE"), (r, ct) => _jobs.Cancel(r, jobId.ToString(), ct));

    private async Task<RunEntity> Run(long id) => await _app.Stores.Runs.GetAsync(id, default);

    private async Task<JobEntity> Job(long id) => await _app.Stores.Jobs.GetAsync(id, default);

    [Fact]
    public async Task EnqueueCreatesAQueuedJobDeliversTheRunAndSendsIdsOnlyInBase64()
    {
        var run = await NewRun();

        var response = await Enqueue(run.Id);

        response.AssertStatus(201);
        var job = response.Json;
        Assert.Equal(0, job["type"]!.GetValue<int>());
        Assert.Equal(run.Id, job["run_id"]!.GetValue<long>());
        Assert.Equal("queued", job["status"]!.GetValue<string>());
        Assert.Equal(0, job["attempts"]!.GetValue<int>());
        var stored = await Run(run.Id);
        Assert.Equal(RunStatus.Delivered, stored.RunStatus);
        Assert.NotNull(stored.DeliveryTime);
        Assert.Equal(response.Id, stored.JobId);

        // The host's queue trigger decodes base64: read the raw text without decoding to prove the encoding.
        var raw = new QueueClient(AzuriteServer.Instance.ConnectionString, _app.Storage.Names.TrainingQueueName);
        var message = (await raw.PeekMessageAsync()).Value;
        var body = JsonNode.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(message.MessageText)))!.AsObject();
        Assert.Equal(response.Id, body["job_id"]!.GetValue<long>());
        Assert.Equal(run.Id, body["run_id"]!.GetValue<long>());
        Assert.Equal(JobTypes.Train, body["type"]!.GetValue<int>());
        Assert.Equal(3, body.Count);
    }

    [Fact]
    public async Task EnqueueAcceptsAJsonBody()
    {
        var run = await NewRun();
        var response = await _app.Invoke(_app.Request("POST", json: new { run_id = run.Id }), _jobs.Enqueue);
        response.AssertStatus(201);
    }

    [Fact]
    public async Task EnqueueOfAnUnknownRunIsNotFoundAndABadIdIsABadRequest()
    {
        (await Enqueue(987654)).AssertProblem(404, "Run not found");
        (await _app.Invoke(_app.Request("POST", query: "run_id=abc"), _jobs.Enqueue)).AssertProblem(400, "integer");
        (await _app.Invoke(_app.Request("POST"), _jobs.Enqueue)).AssertProblem(400, "'run_id' is required");
    }

    [Fact]
    public async Task EnqueueingTwiceIsAConflictNamingTheJob()
    {
        var run = await NewRun();
        var first = await Enqueue(run.Id);

        var second = await Enqueue(run.Id);

        second.AssertProblem(409, $"job {first.Id}");
        Assert.Equal(1, await _host.CountAsync(_host.Queue));
    }

    [Fact]
    public async Task ConcurrentEnqueuesOfOneRunExactlyOneWins()
    {
        var run = await NewRun();

        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Enqueue(run.Id)));

        Assert.Single(responses, r => r.Status == 201);
        Assert.All(responses.Where(r => r.Status != 201), r => r.AssertProblem(409));
        Assert.Equal(1, await _host.CountAsync(_host.Queue));
    }

    [Fact]
    public async Task TheRunTrainsToFinishedWithMetricsModelAndOrderedTimes()
    {
        var run = await NewRun();
        var job = await Enqueue(run.Id);

        var delivery = await _host.DeliverNextAsync();

        Assert.True(delivery!.Succeeded, delivery.Error?.ToString());
        var finished = await Run(run.Id);
        Assert.Equal(RunStatus.Finished, finished.RunStatus);
        Assert.Equal(0.9, JsonNode.Parse(finished.TestMetrics!)!["accuracy"]!.GetValue<double>());
        Assert.NotNull(finished.TrainMetrics);
        Assert.NotNull(finished.ValidationMetrics);
        Assert.Equal($"{_app.Storage.Names.ModelsContainer}/{run.Id}/model.zip", finished.RunPath);
        Assert.True(finished.DeliveryTime <= finished.StartTime && finished.StartTime <= finished.EndTime);
        Assert.Null(finished.Stage);
        var storedJob = await Job(job.Id);
        Assert.Equal(JobStatus.Succeeded, storedJob.Status);
        Assert.Equal(1, storedJob.Attempts);
        Assert.NotNull(storedJob.Started);
        Assert.NotNull(storedJob.Finished);
        Assert.Equal(0, await _host.CountAsync(_host.Queue));

        var model = await _app.Invoke(_app.Request("GET"), (r, ct) => _runs.GetModel(r, run.Id.ToString(), ct));
        model.AssertStatus(200);
        Assert.Equal("application/zip", model.ContentType);
        Assert.Equal($"model of run {run.Id}", model.Body);
    }

    [Fact]
    public async Task TheModelIsNotFoundUntilTheRunFinishes()
    {
        var run = await NewRun();
        var response = await _app.Invoke(_app.Request("GET"), (r, ct) => _runs.GetModel(r, run.Id.ToString(), ct));
        response.AssertProblem(404, "no trained model");
    }

    [Fact]
    public async Task APermanentFailureEndsTheRunInErrorWithAReasonAndCompletesTheMessage()
    {
        _trainer.Behavior = (_, _, _, _) => throw new PermanentJobException("The dataset's train split is missing.");
        var run = await NewRun();
        var job = await Enqueue(run.Id);

        var delivery = await _host.DeliverNextAsync();

        Assert.True(delivery!.Succeeded);
        var failed = await Run(run.Id);
        Assert.Equal(RunStatus.Error, failed.RunStatus);
        Assert.Contains("train split is missing", failed.Error);
        Assert.NotNull(failed.EndTime);
        var storedJob = await Job(job.Id);
        Assert.Equal(JobStatus.Failed, storedJob.Status);
        Assert.Contains("train split is missing", storedJob.Error);
        Assert.Equal(0, await _host.CountAsync(_host.Queue));
    }

    [Fact]
    public async Task AMissingExperimentIsAPermanentFailure()
    {
        var run = await NewRun();
        await Enqueue(run.Id);
        var experiment = await _app.Stores.Experiments.GetAsync(run.ExperimentId, default);
        await _app.Stores.Experiments.DeleteAsync(experiment, experiment.ETag, default);

        await _host.DeliverNextAsync();

        var failed = await Run(run.Id);
        Assert.Equal(RunStatus.Error, failed.RunStatus);
        Assert.Contains($"Experiment {run.ExperimentId} no longer exists", failed.Error);
        Assert.Equal(0, _trainer.Calls);
    }

    [Fact]
    public async Task ADuplicateDeliveryInParallelTrainsOnce()
    {
        var entered = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        _trainer.Behavior = async (_, work, _, _) =>
        {
            entered.TrySetResult();
            await release.Task;
            return FakeTrainer.Success(work);
        };
        var run = await NewRun();
        var job = await Enqueue(run.Id);
        var message = await _host.ReceiveAsync();

        var first = _host.InvokeAsync(message);
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(30));
        // The same message seen by a second instance while the first trains: it completes without training.
        await _app.Function<TrainRunFunctions>().Train(message.MessageText, QueueHostContext.WithDequeueCount(2), default);
        release.SetResult();
        Assert.True((await first).Succeeded);

        Assert.Equal(1, _trainer.Calls);
        Assert.Equal(RunStatus.Finished, (await Run(run.Id)).RunStatus);
        Assert.Equal(1, (await Job(job.Id)).Attempts);

        // Operators and our tooling search for these lines: they read as they always have.
        var lines = TestLog.Provider.Entries.Select(e => e.Message).ToList();
        Assert.Contains($"Run {run.Id} job {job.Id}: delivery 1", lines);
        Assert.Contains($"Run {run.Id} started by job {job.Id}, attempt 1 (restart: False)", lines);
        Assert.Contains($"Run {run.Id} job {job.Id}: delivery 2", lines);
        Assert.Contains($"Run {run.Id} job {job.Id}: nothing to do, a live attempt is training it", lines);
        Assert.Contains($"Run {run.Id} finished (job {job.Id})", lines);
    }

    [Fact]
    public async Task TwoDeliveriesRacingForTheClaimTrainOnce()
    {
        var run = await NewRun();
        await Enqueue(run.Id);
        var message = await _host.ReceiveAsync();

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => _app.Function<TrainRunFunctions>().Train(message.MessageText, QueueHostContext.WithDequeueCount(1), default)));

        Assert.Equal(1, _trainer.Calls);
        Assert.Equal(RunStatus.Finished, (await Run(run.Id)).RunStatus);
    }

    [Fact]
    public async Task ACrashMidTrainingIsRetrainedByTheRedeliveryAndFinishesOnce()
    {
        using var crash = new CancellationTokenSource();
        _trainer.Behavior = async (call, work, _, ct) =>
        {
            if (call == 1)
            {
                // The host aborts the invocation after the claim (instance shutting down).
                await crash.CancelAsync();
                ct.ThrowIfCancellationRequested();
            }

            return FakeTrainer.Success(work);
        };
        var run = await NewRun();
        var job = await Enqueue(run.Id);

        var aborted = await _host.DeliverNextAsync(crash.Token);
        Assert.False(aborted!.Succeeded);
        Assert.Equal(RunStatus.Started, (await Run(run.Id)).RunStatus);
        var retried = await _host.DeliverNextAsync();

        Assert.True(retried!.Succeeded, retried.Error?.ToString());
        Assert.Equal(2, retried.Message.DequeueCount);
        var finished = await Run(run.Id);
        Assert.Equal(RunStatus.Finished, finished.RunStatus);
        Assert.Equal(2, (await Job(job.Id)).Attempts);
        Assert.Equal(JobStatus.Succeeded, (await Job(job.Id)).Status);
        Assert.Equal(2, _trainer.Calls);
    }

    [Fact]
    public async Task ARedeliveryLeavesARunWithAFreshHeartbeatAloneAndRestartsAStaleOne()
    {
        var run = await NewRun();
        var job = await Enqueue(run.Id);
        var message = await _host.ReceiveAsync();
        await _app.Stores.Jobs.ChangeAsync(job.Id, j => { j.Status = JobStatus.Running; j.Attempts = 1; j.Heartbeat = _clock.GetUtcNow(); return true; }, default);
        await _app.Stores.Runs.ChangeAsync(run.Id, r => { r.Status = (int)RunStatus.Started; r.Heartbeat = _clock.GetUtcNow(); return true; }, default);

        _clock.Advance(TimeSpan.FromSeconds(2));
        var whileAlive = await _host.InvokeAsync(message);
        Assert.True(whileAlive.Succeeded);
        Assert.Equal(0, _trainer.Calls);

        // StaleAfterSeconds (3) without a beat: the attempt is dead.
        _clock.Advance(TimeSpan.FromSeconds(2));
        await _app.Function<TrainRunFunctions>().Train(message.MessageText, QueueHostContext.WithDequeueCount(2), default);

        Assert.Equal(1, _trainer.Calls);
        Assert.Equal(RunStatus.Finished, (await Run(run.Id)).RunStatus);
        Assert.Equal(2, (await Job(job.Id)).Attempts);
    }

    [Fact]
    public async Task ARunningJobWhoseAttemptDiedAfterItsMessageWasCompletedIsSentAgainAndFinishes()
    {
        var run = await NewRun();
        var job = await Enqueue(run.Id);
        var message = await _host.ReceiveAsync();
        await _host.Queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
        await _app.Stores.Jobs.ChangeAsync(job.Id, j => { j.Status = JobStatus.Running; j.Attempts = 1; j.Heartbeat = _clock.GetUtcNow(); return true; }, default);
        await _app.Stores.Runs.ChangeAsync(run.Id, r => { r.Status = (int)RunStatus.Started; return true; }, default);
        var worker = _app.Services.GetRequiredService<JobWorker>();

        _clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(0, await worker.RecoverStaleJobsAsync(default));
        _clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(1, await worker.RecoverStaleJobsAsync(default));
        var delivery = await _host.DeliverNextAsync();

        Assert.True(delivery!.Succeeded);
        Assert.Equal(RunStatus.Finished, (await Run(run.Id)).RunStatus);
        Assert.Equal(2, (await Job(job.Id)).Attempts);
    }

    [Fact]
    public async Task AMessageThatAlwaysFailsTransientlyEndsInErrorThroughThePoisonQueue()
    {
        _trainer.Behavior = (_, _, _, _) => throw new Azure.RequestFailedException(503, "Server busy", "ServerBusy", null);
        var run = await NewRun();
        var job = await Enqueue(run.Id);

        var deliveries = await _host.DrainAsync();

        Assert.Equal(QueueHost.MaxDequeueCount, deliveries.Count);
        Assert.All(deliveries, d => Assert.False(d.Succeeded));
        Assert.True(deliveries[^1].Poisoned);
        Assert.Equal(RunStatus.Started, (await Run(run.Id)).RunStatus);
        Assert.Equal(1, await _host.DeliverPoisonAsync());
        var failed = await Run(run.Id);
        Assert.Equal(RunStatus.Error, failed.RunStatus);
        Assert.StartsWith($"training failed {QueueHost.MaxDequeueCount} times: storage error 503", failed.Error);
        Assert.Equal(JobStatus.Failed, (await Job(job.Id)).Status);
    }

    [Fact]
    public async Task AnAttemptThatCannotEvenCreateItsWorkFolderLetsGoOfTheJobSoEveryRetryRunsAndThePoisonHandlerEndsIt()
    {
        // A file where the work folder should go: every attempt fails before training (found through the host harness).
        var blocker = Path.Combine(Path.GetTempPath(), $"dashai-blocked-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(Path.Combine(Directory.CreateDirectory(blocker).FullName, "dashai-work"), "not a folder");
        try
        {
            await using var app = TestApp.Create(
                s => s.AddSingleton<IRunTrainer>(_trainer),
                new Dictionary<string, string?> { ["DashAI:Training:WorkDirectory"] = blocker, ["DashAI:Training:StaleAfterSeconds"] = "600" });
            var host = new QueueHost(app);
            var run = await Seed.Run(app, (await Seed.Experiment(app)).Id);
            var enqueued = await app.Invoke(app.Request("POST", query: $"run_id={run.Id}"), app.Function<JobFunctions>().Enqueue);

            var deliveries = await host.DrainAsync();
            await host.DeliverPoisonAsync();

            Assert.Equal(QueueHost.MaxDequeueCount, deliveries.Count);
            Assert.Equal(QueueHost.MaxDequeueCount, (await app.Stores.Jobs.GetAsync(enqueued.Id, default)).Attempts);
            var failed = await app.Stores.Runs.GetAsync(run.Id, default);
            Assert.Equal(RunStatus.Error, failed.RunStatus);
            Assert.StartsWith($"training failed {QueueHost.MaxDequeueCount} times", failed.Error);
            Assert.Equal(0, _trainer.Calls);
        }
        finally
        {
            Directory.Delete(blocker, recursive: true);
        }
    }

    [Fact]
    public async Task CancellingAQueuedJobCancelsItsRunAndTheMessageBecomesANoOp()
    {
        var run = await NewRun();
        var job = await Enqueue(run.Id);

        var response = await Cancel(job.Id);

        response.AssertStatus(200);
        Assert.Equal("cancelled", response.Json["status"]!.GetValue<string>());
        var cancelled = await Run(run.Id);
        Assert.Equal(RunStatus.Cancelled, cancelled.RunStatus);
        Assert.NotNull(cancelled.EndTime);
        var delivery = await _host.DeliverNextAsync();
        Assert.True(delivery!.Succeeded);
        Assert.Equal(0, _trainer.Calls);
        Assert.Equal(0, await _host.CountAsync(_host.Queue));
    }

    [Fact]
    public async Task CancellingARunningJobStopsTrainingAtItsNextCheck()
    {
        var started = new TaskCompletionSource();
        _trainer.Behavior = async (_, _, stage, ct) =>
        {
            stage(TrainingStages.Training);
            started.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
            throw new InvalidOperationException("unreachable");
        };
        var run = await NewRun();
        var job = await Enqueue(run.Id);
        var delivery = _host.DeliverNextAsync();
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var response = await Cancel(job.Id);

        response.AssertStatus(202);
        // The attempt notices the request at its next heartbeat.
        await AdvanceUntilAsync(() => Task.FromResult(delivery.IsCompleted));
        var finished = await delivery;
        Assert.True(finished!.Succeeded, finished.Error?.ToString());
        Assert.Equal(RunStatus.Cancelled, (await Run(run.Id)).RunStatus);
        Assert.Equal(JobStatus.Cancelled, (await Job(job.Id)).Status);
        Assert.False(await _app.Storage.Container(_app.Storage.Names.ModelsContainer).GetBlobClient($"{run.Id}/model.zip").ExistsAsync());
    }

    [Fact]
    public async Task AStartedRunShowsItsStageAndAHeartbeatThatMoves()
    {
        var beats = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        _trainer.Behavior = async (_, work, stage, _) =>
        {
            stage(TrainingStages.Training);
            await release.Task;
            return FakeTrainer.Success(work);
        };
        var run = await NewRun();
        await Enqueue(run.Id);
        var delivery = _host.DeliverNextAsync();

        var seen = new List<DateTimeOffset>();
        string? stageSeen = null;
        for (var beat = 0; beat < 3; beat++)
        {
            var before = _clock.GetUtcNow();
            await AdvanceUntilAsync(async () =>
            {
                var current = await Run(run.Id);
                stageSeen = current.Stage ?? stageSeen;
                return current.Heartbeat > before;
            });
            seen.Add((await Run(run.Id)).Heartbeat!.Value);
        }

        release.SetResult();
        await delivery;
        Assert.True(seen.Distinct().Count() >= 3, "the heartbeat did not move");
        Assert.Equal(TrainingStages.Training, stageSeen);
    }

    [Fact]
    public async Task AStageChangeShowsOnTheRunWithoutWaitingForTheNextHeartbeat()
    {
        var release = new TaskCompletionSource();
        var trainer = new FakeTrainer
        {
            Behavior = async (_, work, stage, _) =>
            {
                stage(TrainingStages.Evaluating);
                await release.Task;
                return FakeTrainer.Success(work);
            },
        };
        await using var app = TestApp.Create(
            s => s.AddSingleton<IRunTrainer>(trainer),
            new Dictionary<string, string?> { ["DashAI:Training:HeartbeatSeconds"] = "300", ["DashAI:Training:StaleAfterSeconds"] = "900" });
        var run = await Seed.Run(app, (await Seed.Experiment(app)).Id);
        await app.Invoke(app.Request("POST", query: $"run_id={run.Id}"), app.Function<JobFunctions>().Enqueue);
        var delivery = new QueueHost(app).DeliverNextAsync();

        string? stage = null;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (stage != TrainingStages.Evaluating && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
            stage = (await app.Stores.Runs.GetAsync(run.Id, default)).Stage;
        }

        release.SetResult();
        await delivery;
        Assert.Equal(TrainingStages.Evaluating, stage);
    }

    [Fact]
    public async Task AFinishedRunCanBeQueuedAgainAndItsOldResultsAreCleared()
    {
        var run = await NewRun();
        await Enqueue(run.Id);
        await _host.DeliverNextAsync();
        Assert.Equal(RunStatus.Finished, (await Run(run.Id)).RunStatus);

        var again = await Enqueue(run.Id);

        again.AssertStatus(201);
        var requeued = await Run(run.Id);
        Assert.Equal(RunStatus.Delivered, requeued.RunStatus);
        Assert.Null(requeued.TestMetrics);
        Assert.Null(requeued.EndTime);
        Assert.Null(requeued.RunPath);
        await _host.DeliverNextAsync();
        Assert.Equal(RunStatus.Finished, (await Run(run.Id)).RunStatus);
    }

    [Fact]
    public async Task QueuingAFinishedRunAgainDeletesItsOldModelAndArtifactsAndTheNewTrainingSavesItsOwn()
    {
        var run = await NewRun();
        await Enqueue(run.Id);
        await _host.DeliverNextAsync();
        var artifacts = _app.Storage.Container(_app.Storage.Names.ArtifactsContainer);
        await artifacts.UploadBlobAsync($"{run.Id}/plots/confusion.json", BinaryData.FromString("[]"));
        Assert.Equal([$"{_app.Storage.Names.ModelsContainer}/{run.Id}/model.zip", $"{_app.Storage.Names.ArtifactsContainer}/{run.Id}/plots/confusion.json"], await _app.RunBlobsAsync(run.Id));

        var again = await Enqueue(run.Id);

        again.AssertStatus(201);
        Assert.Empty(await _app.RunBlobsAsync(run.Id));
        await _host.DeliverNextAsync();
        Assert.Equal(RunStatus.Finished, (await Run(run.Id)).RunStatus);
        Assert.Equal([$"{_app.Storage.Names.ModelsContainer}/{run.Id}/model.zip"], await _app.RunBlobsAsync(run.Id));
    }

    [Fact]
    public async Task QueuingAFinishedRunAgainKeepsParametersTooLargeForATableProperty()
    {
        var experiment = await Seed.Experiment(_app);
        var big = new JsonObject();
        for (var i = 0; i < 1000; i++)
        {
            big[$"weight_{i:D4}"] = new string('x', 40);
        }

        var run = await _app.Stores.Runs.CreateAsync(
            new RunEntity { ExperimentId = experiment.Id, ModelName = "LogisticRegression", Name = "big", Parameters = big.ToJsonString(), Status = (int)RunStatus.Finished },
            default);
        await _app.Storage.Container(_app.Storage.Names.ModelsContainer).UploadBlobAsync($"{run.Id}/model.zip", BinaryData.FromString("zip"));

        (await Enqueue(run.Id)).AssertStatus(201);

        Assert.True(JsonNode.DeepEquals(big, JsonNode.Parse((await Run(run.Id)).Parameters)));
        // The model went with the reset; the parameters live with the entity (artifacts/entities/run/{id}/), not among the run's files.
        Assert.Empty(await _app.RunBlobsAsync(run.Id));
    }

    [Fact]
    public async Task WhenTheQueueCannotBeReachedTheRunKeepsItsResultsAndItsFiles()
    {
        var run = await NewRun();
        await Enqueue(run.Id);
        await _host.DeliverNextAsync();
        var before = await _app.RunBlobsAsync(run.Id);
        await _app.Storage.Queue(_app.Storage.Names.TrainingQueueName).DeleteAsync();

        var again = await Enqueue(run.Id);

        Assert.True(again.Status >= 500, $"status {again.Status}");
        var restored = await Run(run.Id);
        Assert.Equal(RunStatus.Finished, restored.RunStatus);
        Assert.NotNull(restored.RunPath);
        Assert.Equal(before, await _app.RunBlobsAsync(run.Id));
        Assert.Single(before);
    }

    [Fact]
    public async Task ACancelledRunCanBeQueuedAgainAndTrains()
    {
        var run = await NewRun();
        var first = await Enqueue(run.Id);
        await Cancel(first.Id);
        await _host.DrainAsync();

        (await Enqueue(run.Id)).AssertStatus(201);
        await _host.DrainAsync();

        Assert.Equal(RunStatus.Finished, (await Run(run.Id)).RunStatus);
        Assert.Equal(1, _trainer.Calls);
    }

    [Fact]
    public async Task CancellingAFinishedJobIsAConflictAndAnUnknownOneIsNotFound()
    {
        var run = await NewRun();
        var job = await Enqueue(run.Id);
        await _host.DeliverNextAsync();

        (await Cancel(job.Id)).AssertProblem(409, "succeeded");
        (await Cancel(55555)).AssertProblem(404, "Job not found");
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-3")]
    public async Task ANonPositiveJobIdIsTheSameBadRequestInThePathAndTheQuery(string id)
    {
        var byPath = await _app.Invoke(_app.Request("DELETE"), (r, ct) => _jobs.Cancel(r, id, ct));
        var byQuery = await _app.Invoke(_app.Request("DELETE", query: $"job_id={id}"), _jobs.CancelByQuery);

        byPath.AssertProblem(400, "must be a positive integer");
        byQuery.AssertProblem(400, "must be a positive integer");
    }

    [Fact]
    public async Task TheThesisFormCancelsByQuery()
    {
        var run = await NewRun();
        var job = await Enqueue(run.Id);

        var response = await _app.Invoke(_app.Request("DELETE", query: $"job_id={job.Id}"), _jobs.CancelByQuery);

        response.AssertStatus(200);
        Assert.Equal(JobStatus.Cancelled, (await Job(job.Id)).Status);
    }

    [Fact]
    public async Task ListShowsActiveJobsOldestFirstAndFiltersByStatus()
    {
        var a = await Enqueue((await NewRun()).Id);
        var b = await Enqueue((await NewRun()).Id);
        var c = await Enqueue((await NewRun()).Id);
        await Cancel(b.Id);

        var active = await _app.Invoke(_app.Request("GET"), _jobs.List);
        var cancelled = await _app.Invoke(_app.Request("GET", query: "status=cancelled"), _jobs.List);
        var all = await _app.Invoke(_app.Request("GET", query: "status=all"), _jobs.List);
        var bad = await _app.Invoke(_app.Request("GET", query: "status=bogus"), _jobs.List);

        Assert.Equal([a.Id, c.Id], active.Json.AsArray().Select(j => j!["id"]!.GetValue<long>()));
        Assert.Equal([b.Id], cancelled.Json.AsArray().Select(j => j!["id"]!.GetValue<long>()));
        Assert.Equal([a.Id, b.Id, c.Id], all.Json.AsArray().Select(j => j!["id"]!.GetValue<long>()));
        bad.AssertProblem(400, "Unknown job status");
        var one = await _app.Invoke(_app.Request("GET"), (r, ct) => _jobs.Get(r, a.Id.ToString(), ct));
        one.AssertStatus(200);
        Assert.Equal("queued", one.Json["status"]!.GetValue<string>());
        (await _app.Invoke(_app.Request("GET"), (r, ct) => _jobs.Get(r, "4040", ct))).AssertProblem(404, "Job not found");
    }

    [Fact]
    public async Task DeletingTheRunOrItsExperimentWhileQueuedIsAConflict()
    {
        var run = await NewRun();
        await Enqueue(run.Id);

        var deleteRun = await _app.Invoke(_app.Request("DELETE"), (r, ct) => _runs.Delete(r, run.Id.ToString(), ct));
        var deleteExperiment = await _app.Invoke(
            _app.Request("DELETE"), (r, ct) => _app.Function<DashAI.Functions.Experiments.ExperimentFunctions>().Delete(r, run.ExperimentId.ToString(), ct));
        var experiment = await _app.Stores.Experiments.GetAsync(run.ExperimentId, default);
        var deleteDataset = await _app.Invoke(
            _app.Request("DELETE"), (r, ct) => _app.Function<DashAI.Functions.Datasets.DatasetFunctions>().Delete(r, experiment.DatasetId.ToString(), ct));

        deleteRun.AssertProblem(409);
        deleteExperiment.AssertProblem(409);
        deleteDataset.AssertProblem(409);
    }

    [Fact]
    public async Task ChangingParametersOfAQueuedRunIsAConflict()
    {
        var run = await NewRun();
        await Enqueue(run.Id);
        var response = await _app.Invoke(_app.Request("PATCH", json: new { parameters = new { l2 = 1.0 } }), (r, ct) => _runs.Update(r, run.Id.ToString(), ct));
        response.AssertProblem(409);
    }
}

using Azure;
using DashAI.Functions.Http;
using DashAI.Functions.Jobs;
using DashAI.Functions.Runs;
using DashAI.Functions.Storage;
using DashAI.Functions.Telemetry;
using DashAI.ML;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DashAI.Functions.Training;

/// <summary>
/// The training queue's state machine over the Job and Run entities. Delivery is at least once, so every step is
/// guarded: the job is claimed with an ETag-conditional write (one attempt wins), a cancelled or finished job is a
/// no-op, a run STARTED by an attempt whose heartbeat went stale is restarted, permanent failures end the run in
/// ERROR and complete the message, transient ones throw so the queue redelivers, and the model and metrics are
/// stored before the run becomes FINISHED.
/// </summary>
public sealed partial class TrainingWorker(
    Stores stores,
    IRunTrainer trainer,
    TimeProvider time,
    IOptions<TrainingOptions> options,
    ILogger<TrainingWorker> logger)
{
    private readonly TrainingOptions _options = options.Value;

    public async Task ProcessAsync(string messageText, long dequeueCount, CancellationToken cancellationToken)
    {
        var message = TrainingMessage.TryParse(messageText);
        if (message is null)
        {
            LogMalformed(logger, messageText);
            return;
        }

        using var scope = logger.BeginScope(new Dictionary<string, object> { ["RunId"] = message.RunId, ["JobId"] = message.JobId });
        LogReceived(logger, message.RunId, message.JobId, dequeueCount);

        var job = await stores.Jobs.FindAsync(message.JobId, cancellationToken);
        if (job is null || job.RunId != message.RunId)
        {
            LogSkipped(logger, message.RunId, message.JobId, "the job does not exist");
            return;
        }

        if (!JobStatus.IsActive(job.Status))
        {
            LogJobNotActive(logger, message.RunId, job.Id, job.Status);
            return;
        }

        var run = await stores.Runs.FindAsync(message.RunId, cancellationToken);
        if (run is null || run.JobId != job.Id || run.RunStatus is RunStatus.Finished or RunStatus.Error or RunStatus.Cancelled)
        {
            var reason = run is null ? "The run was deleted." : $"The run is no longer waiting for job {job.Id}.";
            await stores.Jobs.ChangeAsync(job.Id, j => JobStatus.IsActive(j.Status) && j.Finish(JobStatus.Failed, reason, time.GetUtcNow()), cancellationToken);
            LogSkipped(logger, message.RunId, job.Id, reason);
            return;
        }

        var now = time.GetUtcNow();
        if (job.Status == JobStatus.Running && job.Heartbeat is { } heartbeat && now - heartbeat < TimeSpan.FromSeconds(_options.StaleAfterSeconds))
        {
            LogSkipped(logger, run.Id, job.Id, "a live attempt is training it");
            return;
        }

        // Claim: the job's ETag decides between concurrent deliveries (and a concurrent cancel).
        var restarting = job.Status == JobStatus.Running;
        job.Status = Lifecycle.Next(job.Status, JobEvent.Claim);
        job.Attempts++;
        job.Started ??= now;
        job.Heartbeat = now;
        try
        {
            job = await stores.Jobs.UpdateAsync(job, job.ETag, null, cancellationToken);
        }
        catch (StaleEntityException)
        {
            LogSkipped(logger, run.Id, job.Id, "another delivery claimed it first");
            return;
        }

        var claimedJob = job;
        run = await stores.Runs.ChangeAsync(
            run.Id,
            r =>
            {
                if (r.JobId != claimedJob.Id || !Lifecycle.Allows(r.RunStatus, RunEvent.Start))
                {
                    return false;
                }

                r.Status = (int)Lifecycle.Next(r.RunStatus, RunEvent.Start);
                r.StartTime = now;
                r.Heartbeat = now;
                r.Stage = TrainingStages.Loading;
                r.Error = null;
                return true;
            },
            cancellationToken);
        if (run is null)
        {
            await stores.Jobs.ChangeAsync(job.Id, j => JobStatus.IsActive(j.Status) && j.Finish(JobStatus.Failed, "The run changed before training started.", time.GetUtcNow()), cancellationToken);
            return;
        }

        LogStarted(logger, run.Id, job.Id, job.Attempts, restarting);
        if (!restarting)
        {
            DashAITelemetry.QueueWait.Record((now - job.Created).TotalSeconds);
        }

        await TrainClaimedAsync(run, job, cancellationToken);
    }

    /// <summary>
    /// The safety net under at-least-once delivery: a running job whose heartbeat went stale may have lost its
    /// message too (a duplicate delivery completed it while the attempt that later died was training). Sending the
    /// ids again is always safe — the claim decides — and the next delivery restarts the run.
    /// Access pattern: one partition scan of the jobs table filtered on status.
    /// </summary>
    public async Task<int> RecoverStaleJobsAsync(CancellationToken cancellationToken)
    {
        var staleBefore = time.GetUtcNow() - TimeSpan.FromSeconds(_options.StaleAfterSeconds);
        var running = await stores.Jobs.ListAsync(Azure.Data.Tables.TableClient.CreateQueryFilter($"Status eq {JobStatus.Running}"), cancellationToken);
        var resent = 0;
        foreach (var job in running.Where(j => (j.Heartbeat ?? j.LastModified) < staleBefore))
        {
            await stores.Storage.Queue(stores.Storage.Names.TrainingQueueName)
                .SendMessageAsync(new TrainingMessage(job.Id, job.RunId).ToJson(), cancellationToken);
            LogRecovered(logger, job.RunId, job.Id);
            resent++;
        }

        return resent;
    }

    /// <summary>Handles a message the queue gave up on: its run ends in ERROR so it never stays queued or started.</summary>
    public async Task HandlePoisonAsync(string messageText, CancellationToken cancellationToken)
    {
        var message = TrainingMessage.TryParse(messageText);
        if (message is null)
        {
            LogMalformed(logger, messageText);
            return;
        }

        var job = await stores.Jobs.FindAsync(message.JobId, cancellationToken);
        var attempts = Math.Max(job?.Attempts ?? 0, 1);
        var reason = $"training failed {attempts} times: {job?.Error ?? "the worker stopped before it could record why"}";
        await EndAsync(message.RunId, message.JobId, RunStatus.Error, JobStatus.Failed, reason, cancellationToken);
        DashAITelemetry.RecordRunEnded("error", "poison");
        LogPoisoned(logger, message.RunId, message.JobId, reason);
    }

    private async Task TrainClaimedAsync(RunEntity run, JobEntity job, CancellationToken cancellationToken)
    {
        using var training = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var progress = new Progress(run.Id, job.Id);
        using var stopHeartbeat = new CancellationTokenSource();
        var heartbeat = HeartbeatAsync(progress, training, stopHeartbeat.Token);
        var workRoot = string.IsNullOrWhiteSpace(_options.WorkDirectory) ? Path.GetTempPath() : _options.WorkDirectory;
        var workDirectory = Path.Combine(workRoot, "dashai-train", $"run-{run.Id}-job-{job.Id}-{Guid.NewGuid():N}");
        TrainingSpans? spans = null;
        try
        {
            // Inside the try: if the instance's disk fails here, the heartbeat must still stop and the failure count as
            // transient (another instance can train it) — unless the disk is full, which the next attempt would meet too.
            try
            {
                Directory.CreateDirectory(workDirectory);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException && !(e is IOException io && IsDiskFull(io)))
            {
                throw new InstanceFailureException($"This instance cannot create its work folder {workDirectory}: {e.Message}", e);
            }

            // A cancel may have been asked between the claim and now.
            await CheckCancelAsync(progress, training, cancellationToken);
            var experiment = await stores.Experiments.FindAsync(run.ExperimentId, cancellationToken)
                ?? throw new PermanentTrainingException($"Experiment {run.ExperimentId} no longer exists.");
            var dataset = await stores.Datasets.FindAsync(experiment.DatasetId, cancellationToken)
                ?? throw new PermanentTrainingException($"Dataset {experiment.DatasetId} no longer exists.");

            using var ids = logger.BeginScope(new Dictionary<string, object> { ["DatasetId"] = dataset.Id, ["Model"] = run.ModelName, ["Task"] = experiment.TaskName });
            spans = new TrainingSpans(run.Id, job.Id, dataset.Id, run.ModelName, experiment.TaskName);
            var trained = await trainer.TrainAsync(
                new TrainingWork(run, experiment, dataset, workDirectory), stage => spans.Enter(progress.Stage = stage), training.Token);

            spans.Enter(progress.Stage = TrainingStages.Saving);
            training.Token.ThrowIfCancellationRequested();

            // The name is fixed, so a retried attempt overwrites instead of leaving a second model behind.
            var modelBlob = RunFiles.ModelBlobName(run.Id);
            await stores.Storage.Container(stores.Storage.Names.ModelsContainer).GetBlobClient(modelBlob)
                .UploadAsync(trained.ModelPath, StorageContext.FileUpload(overwrite: true), cancellationToken);

            await stopHeartbeat.CancelAsync();
            await heartbeat;
            var finished = await stores.Runs.ChangeAsync(
                run.Id,
                r =>
                {
                    if (r.JobId != job.Id || !Lifecycle.Allows(r.RunStatus, RunEvent.Finish))
                    {
                        return false;
                    }

                    r.TrainMetrics = trained.TrainMetrics.ToJsonString();
                    r.ValidationMetrics = trained.ValidationMetrics.ToJsonString();
                    r.TestMetrics = trained.TestMetrics.ToJsonString();
                    r.Artifacts = trained.Artifacts.ToJsonString();
                    r.RunPath = $"{stores.Storage.Names.ModelsContainer}/{modelBlob}";
                    r.DatasetSha256 = dataset.Sha256;
                    r.Status = (int)Lifecycle.Next(r.RunStatus, RunEvent.Finish);
                    r.EndTime = time.GetUtcNow();
                    r.Stage = null;
                    r.Heartbeat = null;
                    return true;
                },
                cancellationToken);
            await stores.Jobs.ChangeAsync(
                job.Id,
                // A job cancelled in the last moment stays cancelled (its run, already finished, keeps its model).
                j => JobStatus.IsActive(j.Status) && j.Finish(finished is null ? JobStatus.Failed : JobStatus.Succeeded, finished is null ? "The run changed while training." : null, time.GetUtcNow()),
                cancellationToken);
            spans.Dispose();
            DashAITelemetry.RecordRunEnded(finished is null ? "error" : "finished", finished is null ? "run_changed" : null);
            LogFinished(logger, run.Id, job.Id);
        }
        catch (OperationCanceledException e) when (progress.CancelRequested)
        {
            spans?.Fail(e);
            DashAITelemetry.RecordRunEnded("cancelled", null);
            await EndAsync(run.Id, job.Id, RunStatus.Cancelled, JobStatus.Cancelled, null, cancellationToken);
            LogCancelled(logger, run.Id, job.Id);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The host is stopping: the message comes back, and a cleared heartbeat lets the next attempt restart now.
            LogInterrupted(logger, run.Id, job.Id);
            await ReleaseAsync(run.Id, job.Id);
            throw;
        }
        catch (Exception e) when (IsTransient(e))
        {
            spans?.Fail(e);
            LogTransient(logger, e, run.Id, job.Id);
            await RecordTransientAsync(run.Id, job.Id, Describe(e));
            throw;
        }
        catch (Exception e)
        {
            var reason = Describe(e);
            spans?.Fail(e);
            DashAITelemetry.RecordRunEnded("error", ErrorKind(e));
            LogFailed(logger, e, run.Id, job.Id, reason);
            await EndAsync(run.Id, job.Id, RunStatus.Error, JobStatus.Failed, reason, cancellationToken);
        }
        finally
        {
            spans?.Dispose();
            await stopHeartbeat.CancelAsync();
            await heartbeat;
            TryDelete(workDirectory);
        }
    }

    private async Task EndAsync(long runId, long jobId, RunStatus runStatus, string jobStatus, string? reason, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await stores.Runs.ChangeAsync(runId, r => r.EndFor(jobId, runStatus, reason, now), cancellationToken);
        await stores.Jobs.ChangeAsync(jobId, j => JobStatus.IsActive(j.Status) && j.Finish(jobStatus, reason, now), cancellationToken);
    }

    private async Task HeartbeatAsync(Progress progress, CancellationTokenSource training, CancellationToken stop)
    {
        var interval = TimeSpan.FromSeconds(Math.Max(1, _options.HeartbeatSeconds));
        try
        {
            while (true)
            {
                await progress.WaitForBeatAsync(interval, time, stop);
                try
                {
                    var stage = progress.Stage;
                    await stores.Runs.ChangeAsync(
                        progress.RunId,
                        r =>
                        {
                            if (r.JobId != progress.JobId || r.RunStatus != RunStatus.Started)
                            {
                                return false;
                            }

                            r.Heartbeat = time.GetUtcNow();
                            r.Stage = stage;
                            return true;
                        },
                        stop);
                    var job = await stores.Jobs.ChangeAsync(
                        progress.JobId,
                        j =>
                        {
                            if (j.Status != JobStatus.Running)
                            {
                                return false;
                            }

                            j.Heartbeat = time.GetUtcNow();
                            return true;
                        },
                        stop);
                    if (job is null || job.CancelRequested)
                    {
                        await CheckCancelAsync(progress, training, stop);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A missed beat is not fatal: the run only looks dead after StaleAfterSeconds without one.
                    LogHeartbeatFailed(logger, e, progress.RunId);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Training ended.
        }
    }

    private async Task CheckCancelAsync(Progress progress, CancellationTokenSource training, CancellationToken cancellationToken)
    {
        var job = await stores.Jobs.FindAsync(progress.JobId, cancellationToken);
        if (job is null || job.CancelRequested || job.Status == JobStatus.Cancelled)
        {
            progress.CancelRequested = true;
            await training.CancelAsync();
        }
    }

    private async Task RecordTransientAsync(long runId, long jobId, string reason)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await stores.Jobs.ChangeAsync(jobId, j => { j.Error = reason; return true; }, timeout.Token);
            await ReleaseAsync(runId, jobId);
        }
        catch (Exception e) when (e is RequestFailedException or OperationCanceledException)
        {
            // Storage is what failed; the poison handler still ends the run if every retry fails.
        }
    }

    /// <summary>Lets go of a job this attempt cannot finish, so the redelivered message restarts it without waiting.</summary>
    private async Task ReleaseAsync(long runId, long jobId)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await stores.Jobs.ChangeAsync(
                jobId,
                j =>
                {
                    if (j.Status != JobStatus.Running)
                    {
                        return false;
                    }

                    j.Heartbeat = null;
                    return true;
                },
                timeout.Token);
            await stores.Runs.ChangeAsync(
                runId,
                r =>
                {
                    if (r.JobId != jobId || r.RunStatus != RunStatus.Started)
                    {
                        return false;
                    }

                    r.Heartbeat = null;
                    return true;
                },
                timeout.Token);
        }
        catch (Exception e) when (e is RequestFailedException or OperationCanceledException)
        {
            // Best effort: without it the next attempt waits for the heartbeat to go stale.
        }
    }

    /// <summary>Storage and network hiccups are worth a retry; anything else about a training will fail the same way again.</summary>
    /// <summary>
    /// Whether another delivery may succeed where this attempt failed: storage or network trouble is transient;
    /// anything about the data, the model or this instance's disk is permanent (retrying would fail the same way,
    /// three times, and the user would read "training failed 3 times" instead of the reason).
    /// </summary>
    internal static bool IsTransient(Exception e) => e switch
    {
        PermanentTrainingException or InvalidInputException => false,
        InstanceFailureException => true,
        RequestFailedException r => r.Status is 0 or 408 or 429 or 500 or 502 or 503 or 504,
        HttpRequestException or TimeoutException or System.Net.Sockets.SocketException => true,
        // A truncated or corrupt split, a missing local file, a full disk: the same on every attempt.
        // (A work folder this instance cannot create is an InstanceFailureException, above.)
        EndOfStreamException or FileNotFoundException or DirectoryNotFoundException or PathTooLongException => false,
        IOException io when IsDiskFull(io) => false,
        // What is left of IOException is the network's (a connection reset mid-download) when it says so.
        IOException io => io.InnerException is { } inner ? IsTransient(inner) : false,
        AggregateException a => a.InnerExceptions.Count > 0 && a.InnerExceptions.All(IsTransient),
        _ => StorageFailures.IsUnreachable(e),
    };

    // ENOSPC (28) and EDQUOT (122) on Linux; ERROR_HANDLE_DISK_FULL and ERROR_DISK_FULL on Windows.
    private static bool IsDiskFull(IOException e) =>
        (e.HResult & 0xFFFF) is 28 or 122 or 39 or 112;

    /// <summary>The error_kind of a failed run in metrics: a short, bounded set of values.</summary>
    internal static string ErrorKind(Exception e) => e switch
    {
        InvalidInputException => "invalid_input",
        PermanentTrainingException => "permanent",
        RequestFailedException => "storage",
        _ => "internal",
    };

    private static string Describe(Exception e) => e switch
    {
        PermanentTrainingException or InvalidInputException => e.Message,
        RequestFailedException r => $"storage error {r.Status} {r.ErrorCode}".TrimEnd(),
        _ => $"{e.GetType().Name}: {e.Message}",
    };

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // Temp space; the OS reclaims it.
        }
    }

    /// <summary>What the heartbeat reports; a stage change wakes the heartbeat so the run shows it at once.</summary>
    private sealed class Progress(long runId, long jobId) : IDisposable
    {
        private readonly SemaphoreSlim _changed = new(0, 1);
        private volatile string _stage = TrainingStages.Loading;

        public long RunId { get; } = runId;

        public long JobId { get; } = jobId;

        public volatile bool CancelRequested;

        public string Stage
        {
            get => _stage;
            set
            {
                if (_stage == value)
                {
                    return;
                }

                _stage = value;
                try
                {
                    _changed.Release();
                }
                catch (SemaphoreFullException)
                {
                    // A wake-up is already pending; it will report the latest stage.
                }
            }
        }

        /// <summary>
        /// Waits for the next beat: after <paramref name="interval"/> on <paramref name="time"/> (tests advance a fake
        /// clock), or sooner when the stage changes.
        /// </summary>
        public async Task WaitForBeatAsync(TimeSpan interval, TimeProvider time, CancellationToken cancellationToken)
        {
            using var beat = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var changed = _changed.WaitAsync(beat.Token);
            var elapsed = Task.Delay(interval, time, beat.Token);
            await Task.WhenAny(changed, elapsed);
            await beat.CancelAsync();
            cancellationToken.ThrowIfCancellationRequested();
            // Observe the loser's cancellation so it is not reported as unobserved.
            _ = await Task.WhenAll(changed.ContinueWith(_ => 0, TaskScheduler.Default), elapsed.ContinueWith(_ => 0, TaskScheduler.Default));
        }

        public void Dispose() => _changed.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ignoring a malformed training message: {Message}")]
    private static partial void LogMalformed(ILogger logger, string message);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} job {JobId}: delivery {DequeueCount}")]
    private static partial void LogReceived(ILogger logger, long runId, long jobId, long dequeueCount);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} job {JobId}: nothing to do, {Reason}")]
    private static partial void LogSkipped(ILogger logger, long runId, long jobId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} job {JobId}: nothing to do, the job is {Status}")]
    private static partial void LogJobNotActive(ILogger logger, long runId, long jobId, string status);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} started by job {JobId}, attempt {Attempt} (restart: {Restart})")]
    private static partial void LogStarted(ILogger logger, long runId, long jobId, int attempt, bool restart);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} finished (job {JobId})")]
    private static partial void LogFinished(ILogger logger, long runId, long jobId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} cancelled (job {JobId})")]
    private static partial void LogCancelled(ILogger logger, long runId, long jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId} interrupted by the host (job {JobId}); the message will be redelivered")]
    private static partial void LogInterrupted(ILogger logger, long runId, long jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId} hit a transient failure (job {JobId}); the message will be redelivered")]
    private static partial void LogTransient(ILogger logger, Exception exception, long runId, long jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId} failed (job {JobId}): {Reason}")]
    private static partial void LogFailed(ILogger logger, Exception exception, long runId, long jobId, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Run {RunId} job {JobId} reached the poison queue: {Reason}")]
    private static partial void LogPoisoned(ILogger logger, long runId, long jobId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId} job {JobId} had a stale heartbeat; its message was sent again")]
    private static partial void LogRecovered(ILogger logger, long runId, long jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Heartbeat of run {RunId} failed")]
    private static partial void LogHeartbeatFailed(ILogger logger, Exception exception, long runId);
}

using Azure;
using DashAI.Functions.Http;
using DashAI.Functions.Storage;
using DashAI.Functions.Telemetry;
using DashAI.Functions.Training;
using DashAI.ML;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DashAI.Functions.Jobs;

/// <summary>
/// The queue's state machine over Job entities and their targets, the same for every job type. Delivery is at least
/// once, so every step is guarded: the job is claimed with an ETag-conditional write (one attempt wins), a cancelled or
/// finished job is a no-op, a job whose attempt's heartbeat went stale is restarted, permanent failures end the target
/// in ERROR and complete the message, transient ones throw so the queue redelivers, and the handler stores its
/// results before the target becomes final. What is specific to a type is its <see cref="IJobHandler"/>.
/// </summary>
public sealed partial class JobWorker(
    Stores stores,
    IEnumerable<IJobHandler> handlers,
    TimeProvider time,
    IOptions<TrainingOptions> options,
    ILogger<JobWorker> logger)
{
    private readonly TrainingOptions _options = options.Value;
    private readonly Dictionary<int, IJobHandler> _handlers = handlers.ToDictionary(h => h.Type);

    /// <summary>The handler of a job type; null for a type this version does not know.</summary>
    public IJobHandler? HandlerFor(int type) => _handlers.GetValueOrDefault(type);

    /// <summary>Sends the message of an existing job on the queue (a new job, or one whose message may be lost).</summary>
    public Task SendAsync(JobEntity job, CancellationToken cancellationToken) =>
        stores.Storage.Queue(stores.Storage.Names.TrainingQueueName).SendMessageAsync(JobMessage.For(job).ToJson(), cancellationToken);

    public async Task ProcessAsync(string messageText, long dequeueCount, CancellationToken cancellationToken)
    {
        var message = JobMessage.TryParse(messageText);
        var handler = message is null ? null : HandlerFor(message.Type);
        if (message is null || handler is null)
        {
            LogMalformed(logger, messageText);
            return;
        }

        using var scope = logger.BeginScope(new Dictionary<string, object>
        {
            ["RunId"] = message.RunId, ["JobId"] = message.JobId, ["JobType"] = message.Type, ["TargetId"] = message.Target,
        });
        LogReceived(logger, handler.Noun, message.Target, message.JobId, dequeueCount);

        var job = await stores.Jobs.FindAsync(message.JobId, cancellationToken);
        if (job is null || job.RunId != message.RunId || job.Type != message.Type || handler.TargetOf(job) != message.Target)
        {
            LogSkipped(logger, handler.Noun, message.Target, message.JobId, "the job does not exist");
            return;
        }

        if (!JobStatus.IsActive(job.Status))
        {
            LogJobNotActive(logger, handler.Noun, message.Target, job.Id, job.Status);
            return;
        }

        if (job.Waiting)
        {
            LogSkipped(logger, handler.Noun, message.Target, job.Id, "it waits on the jobs it started");
            return;
        }

        var now = time.GetUtcNow();
        if (job.Status == JobStatus.Running && job.Heartbeat is { } heartbeat && now - heartbeat < TimeSpan.FromSeconds(_options.StaleAfterSeconds))
        {
            var live = $"a live attempt is {handler.Doing} it";
            LogSkipped(logger, handler.Noun, message.Target, job.Id, live);
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
            LogSkipped(logger, handler.Noun, message.Target, job.Id, "another delivery claimed it first");
            return;
        }

        var refused = await handler.StartAsync(job, now, cancellationToken);
        if (refused is not null)
        {
            await stores.Jobs.ChangeAsync(job.Id, j => JobStatus.IsActive(j.Status) && j.Finish(JobStatus.Failed, refused, time.GetUtcNow()), cancellationToken);
            LogSkipped(logger, handler.Noun, message.Target, job.Id, refused);
            return;
        }

        LogStarted(logger, handler.Noun, message.Target, job.Id, job.Attempts, restarting);
        if (!restarting)
        {
            DashAITelemetry.QueueWait.Record((now - job.Created).TotalSeconds);
        }

        await RunClaimedAsync(handler, job, cancellationToken);
    }

    /// <summary>
    /// The safety net under at-least-once delivery: a running job whose heartbeat went stale may have lost its
    /// message too (a duplicate delivery completed it while the attempt that later died was working). Sending the
    /// message again is always safe — the claim decides — and the next delivery restarts the job. Jobs waiting on
    /// other jobs (a search on its trials) have no attempt: their handler sends again the messages of the jobs they
    /// wait on that look lost (a trial created just before its instance died), so the wait always ends.
    /// Access pattern: one partition scan of the jobs table filtered on status.
    /// </summary>
    public async Task<int> RecoverStaleJobsAsync(CancellationToken cancellationToken)
    {
        var staleBefore = time.GetUtcNow() - TimeSpan.FromSeconds(_options.StaleAfterSeconds);
        var running = await stores.Jobs.ListAsync(Azure.Data.Tables.TableClient.CreateQueryFilter($"Status eq {JobStatus.Running}"), cancellationToken);
        var resent = 0;
        foreach (var job in running.Where(j => !j.Waiting && (j.Heartbeat ?? j.LastModified) < staleBefore))
        {
            await SendAsync(job, cancellationToken);
            LogRecovered(logger, HandlerFor(job.Type)?.Noun ?? "Job", HandlerFor(job.Type)?.TargetOf(job) ?? job.Id, job.Id);
            resent++;
        }

        foreach (var job in running.Where(j => j.Waiting))
        {
            if (HandlerFor(job.Type) is { } handler)
            {
                resent += await handler.RecoverWaitingAsync(job, cancellationToken);
            }
        }

        return resent;
    }

    /// <summary>Handles a message the queue gave up on: its target ends in ERROR so it never stays queued or running.</summary>
    public async Task HandlePoisonAsync(string messageText, CancellationToken cancellationToken)
    {
        var message = JobMessage.TryParse(messageText);
        var handler = message is null ? null : HandlerFor(message.Type);
        if (message is null || handler is null)
        {
            LogMalformed(logger, messageText);
            return;
        }

        var job = await stores.Jobs.FindAsync(message.JobId, cancellationToken);
        var attempts = Math.Max(job?.Attempts ?? 0, 1);
        var reason = $"{handler.Doing} failed {attempts} times: {job?.Error ?? "the worker stopped before it could record why"}";
        // A job row that is gone still names its target: the target ends all the same.
        job ??= new JobEntity { Id = message.JobId, RunId = message.RunId, Type = message.Type, TargetId = message.TargetId };
        await EndAsync(handler, job, JobEnd.Error, reason, cancellationToken);

        handler.RecordEnded("error", "poison");
        LogPoisoned(logger, handler.Noun, message.Target, message.JobId, reason);
    }

    /// <summary>
    /// Cancels a job for DELETE /job: a queued one (or one waiting on other jobs) ends at once with its target
    /// (<see cref="CancelOutcome.Cancelled"/>); a running one is asked to stop at its next check
    /// (<see cref="CancelOutcome.Requested"/>).
    /// </summary>
    public async Task<(CancelOutcome Outcome, JobEntity? Job)> CancelAsync(long jobId, CancellationToken cancellationToken)
    {
        var outcome = CancelOutcome.None;
        var job = await stores.Jobs.ChangeAsync(
            jobId,
            j =>
            {
                if (j.Status == JobStatus.Queued || (j.Status == JobStatus.Running && j.Waiting))
                {
                    // An attempt claims a job with the same ETag-guarded write, so either it or we win.
                    j.Finish(JobStatus.Cancelled, null, time.GetUtcNow());
                    outcome = CancelOutcome.Cancelled;
                    return true;
                }

                if (j.Status == JobStatus.Running)
                {
                    j.CancelRequested = true;
                    outcome = CancelOutcome.Requested;
                    return true;
                }

                outcome = CancelOutcome.AlreadyFinished;
                return false;
            },
            cancellationToken);

        if (outcome == CancelOutcome.Cancelled && HandlerFor(job!.Type) is { } handler)
        {
            await handler.EndAsync(job, JobEnd.Cancelled, null, time.GetUtcNow(), cancellationToken);
        }

        return (outcome, job);
    }

    private async Task RunClaimedAsync(IJobHandler handler, JobEntity job, CancellationToken cancellationToken)
    {
        var target = handler.TargetOf(job);
        using var working = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var progress = new JobProgress(TrainingStages.Loading);
        using var stopHeartbeat = new CancellationTokenSource();
        var scopeValues = new System.Collections.Concurrent.ConcurrentDictionary<string, object>();
        using var attemptScope = logger.BeginScope(scopeValues);
        var heartbeat = HeartbeatAsync(handler, job, progress, working, stopHeartbeat.Token);
        var workDirectory = Path.Combine(_options.WorkRoot(), $"{handler.Noun.ToLowerInvariant()}-{target}-job-{job.Id}-{Guid.NewGuid():N}");
        try
        {
            // Inside the try: if the instance's disk fails here, the heartbeat must still stop and the failure count as
            // transient (another instance can do it) — unless the disk is full, which the next attempt would meet too.
            try
            {
                Directory.CreateDirectory(workDirectory);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException && !(e is IOException io && IsDiskFull(io)))
            {
                throw new InstanceFailureException($"This instance cannot create its work folder {workDirectory}: {e.Message}", e);
            }

            // A cancel may have been asked between the claim and now.
            await CheckCancelAsync(job.Id, progress, working, cancellationToken);
            var result = await handler.ExecuteAsync(new JobContext(job, workDirectory, progress, scopeValues), working.Token);

            await stopHeartbeat.CancelAsync();
            await heartbeat;
            var now = time.GetUtcNow();
            switch (result.Kind)
            {
                case JobResultKind.Waiting:
                    await stores.Jobs.ChangeAsync(
                        job.Id,
                        j =>
                        {
                            if (j.Status != JobStatus.Running)
                            {
                                return false;
                            }

                            j.Waiting = true;
                            j.Heartbeat = null;
                            return true;
                        },
                        cancellationToken);
                    LogWaiting(logger, handler.Noun, target, job.Id);
                    break;
                case JobResultKind.TargetChanged:
                    await stores.Jobs.ChangeAsync(job.Id, j => JobStatus.IsActive(j.Status) && j.Finish(JobStatus.Failed, result.Reason, now), cancellationToken);
                    handler.RecordEnded("error", "target_changed");
                    LogSkipped(logger, handler.Noun, target, job.Id, result.Reason ?? "it changed while the attempt worked");
                    break;
                default:
                    // A job cancelled in the last moment stays cancelled (its target, already final, keeps its results).
                    await stores.Jobs.ChangeAsync(job.Id, j => JobStatus.IsActive(j.Status) && j.Finish(JobStatus.Succeeded, null, now), cancellationToken);
                    handler.RecordEnded("finished", null);
                    LogFinished(logger, handler.Noun, target, job.Id);
                    break;
            }
        }
        catch (OperationCanceledException) when (progress.CancelRequested)
        {
            handler.RecordEnded("cancelled", null);
            await EndAsync(handler, job, JobEnd.Cancelled, null, cancellationToken);
            LogCancelled(logger, handler.Noun, target, job.Id);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The host is stopping: the message comes back, and a cleared heartbeat lets the next attempt restart now.
            LogInterrupted(logger, handler.Noun, target, job.Id);
            await ReleaseAsync(handler, job);
            throw;
        }
        catch (Exception e) when (IsTransient(e))
        {
            LogTransient(logger, e, handler.Noun, target, job.Id);
            await RecordTransientAsync(handler, job, Describe(e));
            throw;
        }
        catch (Exception e)
        {
            var reason = Describe(e);
            handler.RecordEnded("error", ErrorKind(e));
            LogFailed(logger, e, handler.Noun, target, job.Id, reason);
            await EndAsync(handler, job, JobEnd.Error, reason, cancellationToken);
        }
        finally
        {
            await stopHeartbeat.CancelAsync();
            await heartbeat;
            TryDelete(workDirectory);
        }
    }

    private async Task EndAsync(IJobHandler handler, JobEntity job, JobEnd end, string? reason, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await handler.EndAsync(job, end, reason, now, cancellationToken);
        var status = end == JobEnd.Cancelled ? JobStatus.Cancelled : JobStatus.Failed;
        await stores.Jobs.ChangeAsync(job.Id, j => JobStatus.IsActive(j.Status) && j.Finish(status, reason, now), cancellationToken);
    }

    private async Task HeartbeatAsync(IJobHandler handler, JobEntity job, JobProgress progress, CancellationTokenSource working, CancellationToken stop)
    {
        var interval = TimeSpan.FromSeconds(Math.Max(1, _options.HeartbeatSeconds));
        try
        {
            while (true)
            {
                await progress.WaitForBeatAsync(interval, time, stop);
                try
                {
                    await handler.BeatAsync(job, progress, time.GetUtcNow(), stop);
                    var current = await stores.Jobs.ChangeAsync(
                        job.Id,
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
                    if (current is null || current.CancelRequested)
                    {
                        await CheckCancelAsync(job.Id, progress, working, stop);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A missed beat is not fatal: the job only looks dead after StaleAfterSeconds without one.
                    LogHeartbeatFailed(logger, e, handler.Noun, handler.TargetOf(job));
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The work ended.
        }
    }

    private async Task CheckCancelAsync(long jobId, JobProgress progress, CancellationTokenSource working, CancellationToken cancellationToken)
    {
        var job = await stores.Jobs.FindAsync(jobId, cancellationToken);
        if (job is null || job.CancelRequested || job.Status == JobStatus.Cancelled)
        {
            progress.CancelRequested = true;
            await working.CancelAsync();
        }
    }

    private async Task RecordTransientAsync(IJobHandler handler, JobEntity job, string reason)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await stores.Jobs.ChangeAsync(job.Id, j => { j.Error = reason; return true; }, timeout.Token);
            await ReleaseAsync(handler, job);
        }
        catch (Exception e) when (e is RequestFailedException or OperationCanceledException)
        {
            // Storage is what failed; the poison handler still ends the target if every retry fails.
        }
    }

    /// <summary>Lets go of a job this attempt cannot finish, so the redelivered message restarts it without waiting.</summary>
    private async Task ReleaseAsync(IJobHandler handler, JobEntity job)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await stores.Jobs.ChangeAsync(
                job.Id,
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
            await handler.ReleaseAsync(job, timeout.Token);
        }
        catch (Exception e) when (e is RequestFailedException or OperationCanceledException)
        {
            // Best effort: without it the next attempt waits for the heartbeat to go stale.
        }
    }

    /// <summary>
    /// Whether another delivery may succeed where this attempt failed: storage or network trouble is transient;
    /// anything about the data, the model or this instance's disk is permanent (retrying would fail the same way,
    /// three times, and the user would read "training failed 3 times" instead of the reason).
    /// </summary>
    internal static bool IsTransient(Exception e) => e switch
    {
        PermanentJobException or InvalidInputException => false,
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

    /// <summary>The error_kind of a failed job in metrics: a short, bounded set of values.</summary>
    internal static string ErrorKind(Exception e) => e switch
    {
        InvalidInputException => "invalid_input",
        PermanentJobException => "permanent",
        RequestFailedException => "storage",
        _ => "internal",
    };

    private static string Describe(Exception e) => e switch
    {
        PermanentJobException or InvalidInputException => e.Message,
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ignoring a malformed job message: {Message}")]
    private static partial void LogMalformed(ILogger logger, string message);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Kind} {TargetId} job {JobId}: delivery {DequeueCount}")]
    private static partial void LogReceived(ILogger logger, string kind, long targetId, long jobId, long dequeueCount);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Kind} {TargetId} job {JobId}: nothing to do, {Reason}")]
    private static partial void LogSkipped(ILogger logger, string kind, long targetId, long jobId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Kind} {TargetId} job {JobId}: nothing to do, the job is {Status}")]
    private static partial void LogJobNotActive(ILogger logger, string kind, long targetId, long jobId, string status);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Kind} {TargetId} started by job {JobId}, attempt {Attempt} (restart: {Restart})")]
    private static partial void LogStarted(ILogger logger, string kind, long targetId, long jobId, int attempt, bool restart);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Kind} {TargetId} finished (job {JobId})")]
    private static partial void LogFinished(ILogger logger, string kind, long targetId, long jobId);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Kind} {TargetId} waits on the jobs it started (job {JobId})")]
    private static partial void LogWaiting(ILogger logger, string kind, long targetId, long jobId);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Kind} {TargetId} cancelled (job {JobId})")]
    private static partial void LogCancelled(ILogger logger, string kind, long targetId, long jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Kind} {TargetId} interrupted by the host (job {JobId}); the message will be redelivered")]
    private static partial void LogInterrupted(ILogger logger, string kind, long targetId, long jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Kind} {TargetId} hit a transient failure (job {JobId}); the message will be redelivered")]
    private static partial void LogTransient(ILogger logger, Exception exception, string kind, long targetId, long jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Kind} {TargetId} failed (job {JobId}): {Reason}")]
    private static partial void LogFailed(ILogger logger, Exception exception, string kind, long targetId, long jobId, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Kind} {TargetId} job {JobId} reached the poison queue: {Reason}")]
    private static partial void LogPoisoned(ILogger logger, string kind, long targetId, long jobId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Kind} {TargetId} job {JobId} had a stale heartbeat; its message was sent again")]
    private static partial void LogRecovered(ILogger logger, string kind, long targetId, long jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Heartbeat of {Kind} {TargetId} failed")]
    private static partial void LogHeartbeatFailed(ILogger logger, Exception exception, string kind, long targetId);
}

/// <summary>What a cancel did.</summary>
public enum CancelOutcome
{
    None,
    Cancelled,
    Requested,
    AlreadyFinished,
}

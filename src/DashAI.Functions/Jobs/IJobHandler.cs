namespace DashAI.Functions.Jobs;

/// <summary>
/// The work of one job type on the shared queue. <see cref="JobWorker"/> does what every type needs — the ETag claim,
/// heartbeats, cancel checks, restarts after a dead attempt, transient versus permanent failures, the poison queue,
/// stale recovery and a work folder — and calls the handler for what is specific: the target it works on (a run, a
/// prediction, an explainer, a trial) and the work itself.
/// </summary>
public interface IJobHandler
{
    /// <summary>The <see cref="JobTypes"/> value this handler serves.</summary>
    int Type { get; }

    /// <summary>What the job works on, capitalised, for log lines: "Run 5 started by job 7, …".</summary>
    string Noun { get; }

    /// <summary>What the work is called in messages: "a live attempt is {Doing} it", "{Doing} failed 3 times: …".</summary>
    string Doing { get; }

    /// <summary>The id of the job's target (for training, the run).</summary>
    long TargetOf(JobEntity job);

    /// <summary>
    /// Marks the target as running for the claimed <paramref name="job"/> (also when an attempt restarts it after a
    /// dead one). Returns null when started, or why it cannot start (the target was deleted, or no longer waits for
    /// this job): the job then fails with that reason.
    /// </summary>
    Task<string?> StartAsync(JobEntity job, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Does the work, stores its results and moves the target to its final status. Throws
    /// <see cref="PermanentJobException"/> or <see cref="DashAI.ML.InvalidInputException"/> for failures a retry
    /// cannot fix, and <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> fires.
    /// </summary>
    Task<JobResult> ExecuteAsync(JobContext context, CancellationToken cancellationToken);

    /// <summary>Shows the target is alive, with the attempt's progress; changes nothing when it no longer belongs to the job.</summary>
    Task BeatAsync(JobEntity job, JobProgress progress, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Ends the target in ERROR or CANCELLED on behalf of <paramref name="job"/> (a permanent failure, the poison
    /// queue, a cancel); changes nothing when the target no longer belongs to the job or has already ended.
    /// </summary>
    Task EndAsync(JobEntity job, JobEnd end, string? reason, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Clears the target's heartbeat so that the next delivery restarts it without waiting for it to go stale.</summary>
    Task ReleaseAsync(JobEntity job, CancellationToken cancellationToken);

    /// <summary>Records the end of an attempt in metrics: status finished, error or cancelled, and a bounded error kind.</summary>
    void RecordEnded(string status, string? errorKind);

    /// <summary>
    /// Stale recovery for a job that waits on jobs it started (<see cref="JobResult.Waiting"/>): sends again the
    /// messages of those jobs that look lost. Returns how many it sent. Types that never wait keep the default.
    /// </summary>
    Task<int> RecoverWaitingAsync(JobEntity job, CancellationToken cancellationToken) => Task.FromResult(0);
}

/// <summary>How a target ends when its job cannot succeed.</summary>
public enum JobEnd
{
    Error,
    Cancelled,
}

/// <summary>What <see cref="IJobHandler.ExecuteAsync"/> achieved.</summary>
public sealed record JobResult(JobResultKind Kind, string? Reason = null)
{
    /// <summary>The target holds its results and is final: the job succeeds.</summary>
    public static JobResult Succeeded { get; } = new(JobResultKind.Succeeded);

    /// <summary>
    /// The job stays running without an attempt (a search waiting on its trials); stale recovery leaves it alone and
    /// whoever completes the wait finishes it (<see cref="JobEntity.Finish"/>).
    /// </summary>
    public static JobResult Waiting { get; } = new(JobResultKind.Waiting);

    /// <summary>The target changed under the attempt (deleted, re-queued): the job fails with <paramref name="reason"/>.</summary>
    public static JobResult Changed(string reason) => new(JobResultKind.TargetChanged, reason);
}

public enum JobResultKind
{
    Succeeded,
    Waiting,
    TargetChanged,
}

/// <summary>
/// What one attempt works with: the claimed job, an empty folder of its own (deleted afterwards), its progress, and
/// the values of the attempt's log scope — what the handler adds (a dataset id, a model) shows on every later line of
/// the attempt, the worker's own included.
/// </summary>
public sealed record JobContext(JobEntity Job, string WorkDirectory, JobProgress Progress, System.Collections.Concurrent.ConcurrentDictionary<string, object> LogScope);

/// <summary>A failure that a retry cannot fix (the data or the dataset is gone, bad data, a model error).</summary>
public sealed class PermanentJobException : Exception
{
    public PermanentJobException(string message)
        : base(message)
    {
    }

    public PermanentJobException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public PermanentJobException()
    {
    }
}

/// <summary>
/// A failure of this instance rather than of the job (it cannot create its work folder): another delivery, maybe on
/// another instance, can succeed.
/// </summary>
public sealed class InstanceFailureException : Exception
{
    public InstanceFailureException(string message)
        : base(message)
    {
    }

    public InstanceFailureException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public InstanceFailureException()
    {
    }
}

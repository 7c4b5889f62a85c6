using DashAI.Functions.Storage;

namespace DashAI.Functions.Jobs;

/// <summary>Job status names, as the API shows them.</summary>
public static class JobStatus
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";

    public static IReadOnlyList<string> All { get; } = [Queued, Running, Succeeded, Failed, Cancelled];

    public static bool IsActive(string status) => status is Queued or Running;
}

/// <summary>A job as stored in the <c>jobs</c> table; one queue message carries its ids (<see cref="JobMessage"/>).</summary>
public sealed class JobEntity : EntityBase
{
    /// <summary>What the job does: <see cref="JobTypes"/> (0 = runner, trains a run, as in the thesis).</summary>
    public int Type { get; set; }

    /// <summary>The run the job belongs to: the one it trains, or the one whose model it uses.</summary>
    public long RunId { get; set; }

    /// <summary>What the job works on when it is not the run itself: a prediction, an explainer, a trial.</summary>
    public long? TargetId { get; set; }

    /// <summary>
    /// Running without an attempt of its own: it waits on jobs it started (a search on its trials), and the last of
    /// them finishes it. Stale recovery leaves such a job alone; a cancel ends it at once.
    /// </summary>
    public bool Waiting { get; set; }

    public string Status { get; set; } = JobStatus.Queued;

    public DateTimeOffset? Started { get; set; }

    public DateTimeOffset? Finished { get; set; }

    public int Attempts { get; set; }

    public string? Error { get; set; }

    /// <summary>
    /// While running: when the attempt that holds the job last showed it is alive. Written in the same
    /// conditional update that claims the job, so there is no moment where a claimed job looks abandoned;
    /// null when an attempt let go of the job (the host stopped it, or storage failed) so the next delivery
    /// restarts it at once.
    /// </summary>
    public DateTimeOffset? Heartbeat { get; set; }

    /// <summary>Set by DELETE /job while running; the trainer stops at its next check.</summary>
    public bool CancelRequested { get; set; }

    /// <summary>
    /// Moves the job to a final status through the lifecycle (a finished job cannot finish again:
    /// <see cref="RefusedTransitionException"/>); returns true, for use inside store changes.
    /// </summary>
    public bool Finish(string status, string? error, DateTimeOffset now)
    {
        var what = status switch
        {
            JobStatus.Succeeded => JobEvent.Succeed,
            JobStatus.Failed => JobEvent.Fail,
            JobStatus.Cancelled => JobEvent.Cancel,
            _ => throw new ArgumentOutOfRangeException(nameof(status), status, "not a final status"),
        };
        Status = Lifecycle.Next(Status, what);
        Error = error ?? Error;
        Finished = now;
        CancelRequested = false;
        Waiting = false;
        Heartbeat = null;
        return true;
    }
}

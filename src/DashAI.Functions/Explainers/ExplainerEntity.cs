using DashAI.Functions.Jobs;
using DashAI.Functions.Storage;

namespace DashAI.Functions.Explainers;

/// <summary>An explainer's status; the codes of the run statuses it shares (an explainer starts queued).</summary>
public enum ExplainerStatus
{
    Queued = 1,
    Started = 2,
    Finished = 3,
    Error = 4,
    Cancelled = 5,
}

/// <summary>An explanation of a trained run (an explainer and its parameters) as stored in the <c>explainers</c> table.</summary>
public sealed class ExplainerEntity : EntityBase, DashAI.Functions.Jobs.IJobTarget
{
    /// <summary>The run whose model it explains.</summary>
    public long RunId { get; set; }

    public string ExplainerName { get; set; } = "";

    /// <summary>The parameters as validated at creation, every default filled: exactly what it runs with.</summary>
    [LargeJson]
    public string Parameters { get; set; } = "{}";

    public int Status { get; set; } = (int)ExplainerStatus.Queued;

    /// <summary>The job that runs it.</summary>
    public long? JobId { get; set; }

    public DateTimeOffset? StartTime { get; set; }

    public DateTimeOffset? EndTime { get; set; }

    /// <summary>While STARTED: loading, scoring, plotting or saving.</summary>
    public string? Stage { get; set; }

    /// <summary>While scoring: rows scored so far, of <see cref="Total"/>.</summary>
    public long? Done { get; set; }

    public long? Total { get; set; }

    /// <summary>While STARTED: refreshed by the attempt; a stale heartbeat means the attempt died.</summary>
    public DateTimeOffset? Heartbeat { get; set; }

    bool DashAI.Functions.Jobs.IJobTarget.IsWorking => ExplainerStatus == ExplainerStatus.Started;

    public string? Error { get; set; }

    /// <summary>The explainer's result document, once FINISHED.</summary>
    [LargeJson]
    public string? Result { get; set; }

    /// <summary>How many plots it stored (one for a global explainer, one per row for a local one).</summary>
    public int PlotCount { get; set; }

    [System.Runtime.Serialization.IgnoreDataMember]
    public ExplainerStatus ExplainerStatus => (ExplainerStatus)Status;

    /// <summary>
    /// Moves it along its lifecycle on behalf of job <paramref name="jobId"/>; returns false (changing nothing) when it
    /// belongs to another job or the lifecycle does not allow the event from its status.
    /// </summary>
    public bool Apply(long jobId, ExplainerEvent what, DateTimeOffset now, string? error = null)
    {
        if (JobId != jobId || !Lifecycle.Allows(ExplainerStatus, what))
        {
            return false;
        }

        Status = (int)Lifecycle.Next(ExplainerStatus, what);
        switch (what)
        {
            case ExplainerEvent.Start:
                StartTime = now;
                Heartbeat = now;
                Stage = "loading";
                Error = null;
                break;
            default:
                EndTime = now;
                Heartbeat = null;
                Stage = null;
                Error = error;
                break;
        }

        return true;
    }

    /// <summary>The blob of plot <paramref name="index"/> in the artifacts container.</summary>
    public static string PlotBlobName(long explainerId, int index) => $"{FilesPrefix(explainerId)}plot-{index}.png";

    /// <summary>Every file of the explainer lives under this prefix in the artifacts container.</summary>
    public static string FilesPrefix(long explainerId) => $"explainers/{explainerId}/";
}

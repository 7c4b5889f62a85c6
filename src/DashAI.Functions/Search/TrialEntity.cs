using System.Globalization;
using DashAI.Functions.Jobs;
using DashAI.Functions.Storage;

namespace DashAI.Functions.Search;

/// <summary>Trial status names, as the API shows them.</summary>
public static class TrialStatus
{
    public const string Queued = "queued";
    public const string Running = "running";

    /// <summary>Fitted in full and scored on validation.</summary>
    public const string Finished = "finished";

    /// <summary>Stopped at a rung by successive halving: its value is the rung's.</summary>
    public const string Stopped = "stopped";
    public const string Error = "error";
    public const string Cancelled = "cancelled";

    public static bool IsFinal(string status) => status is Finished or Stopped or Error or Cancelled;

    /// <summary>Whether the trial counts as done for the search (a cancelled trial belongs to a search that ended).</summary>
    public static bool CountsAsDone(string status) => status is Finished or Stopped or Error;
}

/// <summary>
/// One trial of a tuned run's search, in the <c>trials</c> table. Its unique name — run, search job and trial number —
/// makes creating trial N of a search happen once however many finished trials race to create it.
/// </summary>
public sealed class TrialEntity : EntityBase, DashAI.Functions.Jobs.IJobTarget
{
    public long RunId { get; set; }

    /// <summary>The run's job that started the search (a run searched again gets new trials).</summary>
    public long SearchJobId { get; set; }

    /// <summary>0-based number of the trial in its search; the sampler's trial number.</summary>
    public int Number { get; set; }

    /// <summary>The trial's job (type 3); null for a moment between creating the trial and its job.</summary>
    public long? JobId { get; set; }

    public string Status { get; set; } = TrialStatus.Queued;

    /// <summary>The sampled values of the searched parameters (JSON object).</summary>
    public string Parameters { get; set; } = "{}";

    /// <summary>The optimized validation metric: of the full fit, or of the last rung reached when stopped.</summary>
    public double? Value { get; set; }

    /// <summary>Every validation metric of the full fit (JSON), when finished.</summary>
    public string? ValidationMetrics { get; set; }

    /// <summary>The metric at each rung reached (JSON object: rounds → value).</summary>
    public string? Rungs { get; set; }

    public double? FitSeconds { get; set; }

    public DateTimeOffset? StartTime { get; set; }

    public DateTimeOffset? EndTime { get; set; }

    public DateTimeOffset? Heartbeat { get; set; }

    bool DashAI.Functions.Jobs.IJobTarget.IsWorking => Status == TrialStatus.Running;

    public string? Error { get; set; }

    public override string? UniqueName => string.Create(CultureInfo.InvariantCulture, $"run {RunId} search {SearchJobId} trial {Number}");

    /// <summary>Moves the trial through the lifecycle when it allows <paramref name="what"/>; returns whether it did.</summary>
    public bool Apply(TrialEvent what, DateTimeOffset now)
    {
        if (!Lifecycle.Allows(Status, what))
        {
            return false;
        }

        Status = Lifecycle.Next(Status, what);
        if (what == TrialEvent.Start)
        {
            StartTime ??= now;
            Heartbeat = now;
        }
        else
        {
            EndTime = now;
            Heartbeat = null;
        }

        return true;
    }
}

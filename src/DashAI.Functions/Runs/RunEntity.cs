using DashAI.Functions.Jobs;
using DashAI.Functions.Storage;

namespace DashAI.Functions.Runs;

/// <summary>The thesis run status codes.</summary>
public enum RunStatus
{
    NotStarted = 0,
    Delivered = 1,
    Started = 2,
    Finished = 3,
    Error = 4,
    Cancelled = 5,
}

/// <summary>A run (a model and its parameters in an experiment) as stored in the <c>runs</c> table.</summary>
public sealed class RunEntity : EntityBase, IJobTarget
{
    public long ExperimentId { get; set; }

    public string ModelName { get; set; } = "";

    [LargeJson]
    public string Parameters { get; set; } = "{}";

    [LargeJson]
    public string? TrainMetrics { get; set; }

    [LargeJson]
    public string? ValidationMetrics { get; set; }

    [LargeJson]
    public string? TestMetrics { get; set; }

    [LargeJson]
    public string? Artifacts { get; set; }

    public string Name { get; set; } = "";

    public string? Description { get; set; }

    /// <summary>Where the trained model is: <c>models/{id}/model.zip</c>, set when the run finishes.</summary>
    public string? RunPath { get; set; }

    public int Status { get; set; }

    public DateTimeOffset? DeliveryTime { get; set; }

    public DateTimeOffset? StartTime { get; set; }

    public DateTimeOffset? EndTime { get; set; }

    /// <summary>While STARTED: loading, training, evaluating or saving.</summary>
    public string? Stage { get; set; }

    /// <summary>While STARTED: refreshed by the trainer; a stale heartbeat means the attempt died.</summary>
    public DateTimeOffset? Heartbeat { get; set; }

    /// <summary>Why the run ended in ERROR.</summary>
    public string? Error { get; set; }

    /// <summary>The seed the run trains with (ML.NET's MLContext seed): same seed, data and parameters, same model.</summary>
    public int Seed { get; set; } = 42;

    /// <summary>SHA-256 of the dataset upload the run last trained on, for reproducibility.</summary>
    public string? DatasetSha256 { get; set; }

    /// <summary>The job currently responsible for the run, if any.</summary>
    public long? JobId { get; set; }

    /// <summary>A tuned run's optimizer (JSON: name, n_trials, metric, seed, parallelism); null for a plain run.</summary>
    public string? Optimizer { get; set; }

    /// <summary>A tuned run's optimize specs (JSON object: parameter → spec), kept after the search.</summary>
    [LargeJson]
    public string? SearchSpace { get; set; }

    /// <summary>While and after a search: trials done (finished, stopped or failed) and in all.</summary>
    public int? TrialsDone { get; set; }

    public int? TrialsTotal { get; set; }

    /// <summary>The best validation metric of a full trial so far, its trial and its sampled values (JSON).</summary>
    public double? BestValue { get; set; }

    public long? BestTrialId { get; set; }

    public string? BestParameters { get; set; }

    /// <summary>The trial job that refits the best parameters once the last trial ended (one wins the race).</summary>
    public long? RefitJobId { get; set; }

    [System.Runtime.Serialization.IgnoreDataMember]
    public RunStatus RunStatus => (RunStatus)Status;

    bool IJobTarget.IsWorking => RunStatus == RunStatus.Started;

    /// <summary>
    /// Ends the run in a final status on behalf of job <paramref name="jobId"/>; returns false (changing nothing) when
    /// the run no longer belongs to that job or is not queued or training any more.
    /// </summary>
    public bool EndFor(long jobId, RunStatus status, string? error, DateTimeOffset now)
    {
        var what = status switch
        {
            RunStatus.Finished => RunEvent.Finish,
            RunStatus.Error => RunEvent.Fail,
            RunStatus.Cancelled => RunEvent.Cancel,
            _ => throw new ArgumentOutOfRangeException(nameof(status), status, "not a final status"),
        };
        if (JobId != jobId || !Lifecycle.Allows(RunStatus, what))
        {
            return false;
        }

        Status = (int)Lifecycle.Next(RunStatus, what);
        Error = error;
        EndTime = now;
        Stage = null;
        Heartbeat = null;
        return true;
    }

    /// <summary>Queues the run for <paramref name="jobId"/>: its earlier results are cleared. Refused while it is queued or training.</summary>
    public void Enqueue(long jobId, DateTimeOffset now)
    {
        var next = Lifecycle.Next(RunStatus, RunEvent.Enqueue);
        ResetResults();
        Status = (int)next;
        DeliveryTime = now;
        JobId = jobId;
    }

    /// <summary>Clears the results of an earlier training (its parameters changed). Refused while it is queued or training.</summary>
    public void ResetResults()
    {
        var next = Lifecycle.Next(RunStatus, RunEvent.Reset);
        TrainMetrics = ValidationMetrics = TestMetrics = Artifacts = null;
        RunPath = null;
        Status = (int)next;
        DeliveryTime = StartTime = EndTime = Heartbeat = null;
        Stage = null;
        Error = null;
        JobId = null;
        TrialsDone = TrialsTotal = null;
        BestValue = null;
        BestTrialId = RefitJobId = null;
        BestParameters = null;
    }
}

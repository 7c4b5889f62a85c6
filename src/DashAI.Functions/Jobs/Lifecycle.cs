using DashAI.Functions.Explainers;
using DashAI.Functions.Runs;

namespace DashAI.Functions.Jobs;

/// <summary>What happens to a run: each is allowed only from the statuses <see cref="Lifecycle"/> lists.</summary>
public enum RunEvent
{
    /// <summary>A job is created for it (POST /job/runner).</summary>
    Enqueue,

    /// <summary>An attempt claimed its job and starts (or restarts after a dead attempt).</summary>
    Start,

    /// <summary>The model and metrics are stored.</summary>
    Finish,

    /// <summary>It cannot train (bad data, model error, poisoned message).</summary>
    Fail,

    /// <summary>Its job was cancelled.</summary>
    Cancel,

    /// <summary>Its parameters changed: earlier results no longer describe it.</summary>
    Reset,
}

/// <summary>What happens to an explainer (its job runs it once; it is never queued again).</summary>
public enum ExplainerEvent
{
    /// <summary>An attempt claimed its job and starts (or restarts after a dead attempt).</summary>
    Start,

    /// <summary>Its result and plots are stored.</summary>
    Finish,

    /// <summary>It cannot run (bad parameters for the data, the run or dataset gone, a poisoned message).</summary>
    Fail,

    /// <summary>Its job was cancelled.</summary>
    Cancel,
}

/// <summary>What happens to a job.</summary>
public enum JobEvent
{
    /// <summary>An attempt takes it (again, when the previous attempt's heartbeat went stale).</summary>
    Claim,

    Succeed,

    Fail,

    Cancel,
}

/// <summary>What happens to a batch prediction (its statuses are <see cref="DashAI.Functions.Predictions.PredictionStatus"/>).</summary>
public enum PredictionEvent
{
    /// <summary>An attempt claimed its job and starts (or restarts after a dead attempt).</summary>
    Start,

    /// <summary>The predictions file is stored.</summary>
    Finish,

    /// <summary>It cannot be scored (bad rows, the run or dataset gone, a poisoned message).</summary>
    Fail,

    /// <summary>Its job was cancelled.</summary>
    Cancel,
}

/// <summary>What happens to a hyperparameter trial (<see cref="DashAI.Functions.Search.TrialEntity"/>).</summary>
public enum TrialEvent
{
    /// <summary>An attempt claimed its job and fits it (or fits it again after a dead attempt).</summary>
    Start,

    /// <summary>It was fitted in full and scored.</summary>
    Finish,

    /// <summary>Successive halving stopped it at a rung.</summary>
    Stop,

    /// <summary>It cannot be fitted (bad parameters for the data, poisoned message).</summary>
    Fail,

    /// <summary>Its search was cancelled or ended.</summary>
    Cancel,
}

/// <summary>A transition the lifecycle does not allow, e.g. queuing a run that is already training.</summary>
public sealed class RefusedTransitionException(string kind, string from, string what)
    : Exception($"A {kind} that is {from} cannot {what}.")
{
    public string Kind { get; } = kind;

    public string From { get; } = from;

    public string What { get; } = what;
}

/// <summary>
/// The run and job lifecycles as data: (from, event) → to. Every status change goes through
/// <see cref="Next(RunStatus, RunEvent)"/> or <see cref="Next(string, JobEvent)"/>, so a change the table does not
/// list is a typed error, never a silent overwrite; callers that expect duplicates (at-least-once delivery) ask
/// <see cref="Allows(RunStatus, RunEvent)"/> first.
/// </summary>
public static class Lifecycle
{
    public static IReadOnlyDictionary<(RunStatus From, RunEvent Event), RunStatus> RunTransitions { get; } =
        new Dictionary<(RunStatus, RunEvent), RunStatus>
        {
            [(RunStatus.NotStarted, RunEvent.Enqueue)] = RunStatus.Delivered,
            [(RunStatus.Finished, RunEvent.Enqueue)] = RunStatus.Delivered,
            [(RunStatus.Error, RunEvent.Enqueue)] = RunStatus.Delivered,
            [(RunStatus.Cancelled, RunEvent.Enqueue)] = RunStatus.Delivered,
            [(RunStatus.Delivered, RunEvent.Start)] = RunStatus.Started,
            [(RunStatus.Started, RunEvent.Start)] = RunStatus.Started,
            [(RunStatus.Started, RunEvent.Finish)] = RunStatus.Finished,
            [(RunStatus.Delivered, RunEvent.Fail)] = RunStatus.Error,
            [(RunStatus.Started, RunEvent.Fail)] = RunStatus.Error,
            [(RunStatus.Delivered, RunEvent.Cancel)] = RunStatus.Cancelled,
            [(RunStatus.Started, RunEvent.Cancel)] = RunStatus.Cancelled,
            [(RunStatus.NotStarted, RunEvent.Reset)] = RunStatus.NotStarted,
            [(RunStatus.Finished, RunEvent.Reset)] = RunStatus.NotStarted,
            [(RunStatus.Error, RunEvent.Reset)] = RunStatus.NotStarted,
            [(RunStatus.Cancelled, RunEvent.Reset)] = RunStatus.NotStarted,
        };

    public static IReadOnlyDictionary<(string From, JobEvent Event), string> JobTransitions { get; } =
        new Dictionary<(string, JobEvent), string>
        {
            [(JobStatus.Queued, JobEvent.Claim)] = JobStatus.Running,
            [(JobStatus.Running, JobEvent.Claim)] = JobStatus.Running,
            [(JobStatus.Running, JobEvent.Succeed)] = JobStatus.Succeeded,
            [(JobStatus.Queued, JobEvent.Fail)] = JobStatus.Failed,
            [(JobStatus.Running, JobEvent.Fail)] = JobStatus.Failed,
            [(JobStatus.Queued, JobEvent.Cancel)] = JobStatus.Cancelled,
            [(JobStatus.Running, JobEvent.Cancel)] = JobStatus.Cancelled,
        };

    public static IReadOnlyDictionary<(string From, PredictionEvent Event), string> PredictionTransitions { get; } =
        new Dictionary<(string, PredictionEvent), string>
        {
            [(Predictions.PredictionStatus.Queued, PredictionEvent.Start)] = Predictions.PredictionStatus.Running,
            [(Predictions.PredictionStatus.Running, PredictionEvent.Start)] = Predictions.PredictionStatus.Running,
            [(Predictions.PredictionStatus.Running, PredictionEvent.Finish)] = Predictions.PredictionStatus.Finished,
            [(Predictions.PredictionStatus.Queued, PredictionEvent.Fail)] = Predictions.PredictionStatus.Error,
            [(Predictions.PredictionStatus.Running, PredictionEvent.Fail)] = Predictions.PredictionStatus.Error,
            [(Predictions.PredictionStatus.Queued, PredictionEvent.Cancel)] = Predictions.PredictionStatus.Cancelled,
            [(Predictions.PredictionStatus.Running, PredictionEvent.Cancel)] = Predictions.PredictionStatus.Cancelled,
        };

    public static bool Allows(string from, PredictionEvent what) => PredictionTransitions.ContainsKey((from, what));

    public static string Next(string from, PredictionEvent what) =>
        PredictionTransitions.TryGetValue((from, what), out var to) ? to : throw new RefusedTransitionException("prediction", from, Verb(what));

    public static IReadOnlyDictionary<(ExplainerStatus From, ExplainerEvent Event), ExplainerStatus> ExplainerTransitions { get; } =
        new Dictionary<(ExplainerStatus, ExplainerEvent), ExplainerStatus>
        {
            [(ExplainerStatus.Queued, ExplainerEvent.Start)] = ExplainerStatus.Started,
            [(ExplainerStatus.Started, ExplainerEvent.Start)] = ExplainerStatus.Started,
            [(ExplainerStatus.Started, ExplainerEvent.Finish)] = ExplainerStatus.Finished,
            [(ExplainerStatus.Queued, ExplainerEvent.Fail)] = ExplainerStatus.Error,
            [(ExplainerStatus.Started, ExplainerEvent.Fail)] = ExplainerStatus.Error,
            [(ExplainerStatus.Queued, ExplainerEvent.Cancel)] = ExplainerStatus.Cancelled,
            [(ExplainerStatus.Started, ExplainerEvent.Cancel)] = ExplainerStatus.Cancelled,
        };

    public static bool Allows(ExplainerStatus from, ExplainerEvent what) => ExplainerTransitions.ContainsKey((from, what));

    public static ExplainerStatus Next(ExplainerStatus from, ExplainerEvent what) =>
        ExplainerTransitions.TryGetValue((from, what), out var to)
            ? to
            : throw new RefusedTransitionException("explainer", from.ToString().ToLowerInvariant(), what.ToString().ToLowerInvariant());

    public static IReadOnlyDictionary<(string From, TrialEvent Event), string> TrialTransitions { get; } =
        new Dictionary<(string, TrialEvent), string>
        {
            [(DashAI.Functions.Search.TrialStatus.Queued, TrialEvent.Start)] = DashAI.Functions.Search.TrialStatus.Running,
            [(DashAI.Functions.Search.TrialStatus.Running, TrialEvent.Start)] = DashAI.Functions.Search.TrialStatus.Running,
            [(DashAI.Functions.Search.TrialStatus.Running, TrialEvent.Finish)] = DashAI.Functions.Search.TrialStatus.Finished,
            [(DashAI.Functions.Search.TrialStatus.Running, TrialEvent.Stop)] = DashAI.Functions.Search.TrialStatus.Stopped,
            [(DashAI.Functions.Search.TrialStatus.Queued, TrialEvent.Fail)] = DashAI.Functions.Search.TrialStatus.Error,
            [(DashAI.Functions.Search.TrialStatus.Running, TrialEvent.Fail)] = DashAI.Functions.Search.TrialStatus.Error,
            [(DashAI.Functions.Search.TrialStatus.Queued, TrialEvent.Cancel)] = DashAI.Functions.Search.TrialStatus.Cancelled,
            [(DashAI.Functions.Search.TrialStatus.Running, TrialEvent.Cancel)] = DashAI.Functions.Search.TrialStatus.Cancelled,
        };

    public static bool Allows(string from, TrialEvent what) => TrialTransitions.ContainsKey((from, what));

    public static string Next(string from, TrialEvent what) =>
        TrialTransitions.TryGetValue((from, what), out var to) ? to : throw new RefusedTransitionException("trial", from, what.ToString().ToLowerInvariant());

    public static bool Allows(RunStatus from, RunEvent what) => RunTransitions.ContainsKey((from, what));

    public static bool Allows(string from, JobEvent what) => JobTransitions.ContainsKey((from, what));

    public static RunStatus Next(RunStatus from, RunEvent what) =>
        RunTransitions.TryGetValue((from, what), out var to) ? to : throw new RefusedTransitionException("run", Describe(from), Verb(what));

    public static string Next(string from, JobEvent what) =>
        JobTransitions.TryGetValue((from, what), out var to) ? to : throw new RefusedTransitionException("job", from, Verb(what));

    private static string Describe(RunStatus status) => status switch
    {
        RunStatus.NotStarted => "not started",
        RunStatus.Delivered => "queued",
        RunStatus.Started => "training",
        RunStatus.Finished => "finished",
        RunStatus.Error => "in error",
        _ => "cancelled",
    };

    private static string Verb(RunEvent what) => what switch
    {
        RunEvent.Enqueue => "be queued",
        RunEvent.Start => "start",
        RunEvent.Finish => "finish",
        RunEvent.Fail => "fail",
        RunEvent.Cancel => "be cancelled",
        _ => "have its results reset",
    };

    private static string Verb(PredictionEvent what) => what switch
    {
        PredictionEvent.Start => "start",
        PredictionEvent.Finish => "finish",
        PredictionEvent.Fail => "fail",
        _ => "be cancelled",
    };

    private static string Verb(JobEvent what) => what switch
    {
        JobEvent.Claim => "be claimed",
        JobEvent.Succeed => "succeed",
        JobEvent.Fail => "fail",
        _ => "be cancelled",
    };
}

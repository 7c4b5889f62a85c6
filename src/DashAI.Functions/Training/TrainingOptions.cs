namespace DashAI.Functions.Training;

/// <summary>How the trainer reports liveness. Bound from configuration section <see cref="SectionName"/>.</summary>
public sealed class TrainingOptions
{
    public const string SectionName = "DashAI:Training";

    /// <summary>How often a training attempt refreshes its run's heartbeat and checks for cancellation.</summary>
    public int HeartbeatSeconds { get; set; } = 10;

    /// <summary>
    /// A run STARTED whose heartbeat is older than this belongs to a dead attempt: a redelivered message
    /// restarts it. Must be several heartbeats long so a slow storage write is not mistaken for a crash.
    /// </summary>
    public int StaleAfterSeconds { get; set; } = 120;

    /// <summary>
    /// Where training attempts keep their local copies of the splits and the model before upload; empty means the
    /// system temp folder. Each attempt works in a folder of its own below it and deletes it when done.
    /// </summary>
    public string WorkDirectory { get; set; } = "";

    /// <summary>
    /// The memory of the instance that trains, in MB (infra/ sets it from the plan's <c>instanceMemoryMB</c>); 0 means
    /// what the runtime reports as available to the process. Before fitting, a run estimates the memory it needs from its
    /// training split; a run that cannot fit in this (of which a training may use 75 %) ends in ERROR with the estimate.
    /// </summary>
    public int InstanceMemoryMB { get; set; }

    /// <summary>
    /// Whether the worker trains each tabular model a few times on a small made-up set when it starts, in the
    /// background, so that a fresh instance's first job runs optimized code (a first fit otherwise pays .NET's
    /// compilation: RidgeRegressor on 200,000 rows 0.20 s instead of 0.06 s). Costs about 8 s of one core at start.
    /// </summary>
    public bool WarmUp { get; set; } = true;

    /// <summary>The folder attempts work in: <see cref="WorkDirectory"/> or the system temp folder, then "dashai-work".</summary>
    public string WorkRoot() => Path.Combine(string.IsNullOrWhiteSpace(WorkDirectory) ? Path.GetTempPath() : WorkDirectory, "dashai-work");

    /// <summary>The instance memory in bytes: <see cref="InstanceMemoryMB"/>, or what the runtime reports when it is 0.</summary>
    public long InstanceMemoryBytes() =>
        InstanceMemoryMB > 0 ? InstanceMemoryMB * 1024L * 1024L : GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
}

namespace DashAI.Functions.Storage;

/// <summary>Names of the app's storage objects. Bound from configuration section <see cref="SectionName"/>.</summary>
public sealed class StorageOptions
{
    public const string SectionName = "DashAI:Storage";

    /// <summary>
    /// Prepended to every table, container and queue name the app uses. It exists so that tests can
    /// share one emulator without seeing each other's data; a deployed app leaves it empty, because the
    /// queue trigger binds to the unprefixed <c>training-jobs</c> queue.
    /// </summary>
    public string NamePrefix { get; set; } = "";
}

/// <summary>The concrete names after applying <see cref="StorageOptions.NamePrefix"/>.</summary>
public sealed class StorageNames(string prefix)
{
    public const string TrainingQueue = "training-jobs";
    public const string TrainingPoisonQueue = "training-jobs-poison";

    public string DatasetsTable { get; } = Table(prefix, "datasets");
    public string ExperimentsTable { get; } = Table(prefix, "experiments");
    public string RunsTable { get; } = Table(prefix, "runs");
    public string JobsTable { get; } = Table(prefix, "jobs");
    public string PredictionsTable { get; } = Table(prefix, "predictions");
    public string ExplainersTable { get; } = Table(prefix, "explainers");

    /// <summary>Hyperparameter trials, one row per trial of a tuned run's search.</summary>
    public string TrialsTable { get; } = Table(prefix, "trials");
    public string DatasetsContainer { get; } = prefix.ToLowerInvariant() + "datasets";
    public string ModelsContainer { get; } = prefix.ToLowerInvariant() + "models";
    public string ArtifactsContainer { get; } = prefix.ToLowerInvariant() + "artifacts";
    public string PredictionsContainer { get; } = prefix.ToLowerInvariant() + "predictions";
    public string TrainingQueueName { get; } = prefix.ToLowerInvariant() + TrainingQueue;
    public string TrainingPoisonQueueName { get; } = prefix.ToLowerInvariant() + TrainingPoisonQueue;

    // Table names are alphanumeric only.
    private static string Table(string prefix, string name) =>
        new string(prefix.Where(char.IsAsciiLetterOrDigit).ToArray()) + name;
}

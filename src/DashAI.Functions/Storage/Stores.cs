using DashAI.Functions.Datasets;
using DashAI.Functions.Experiments;
using DashAI.Functions.Jobs;
using DashAI.Functions.Runs;

namespace DashAI.Functions.Storage;

/// <summary>The object stores, created once per process over the shared clients.</summary>
public sealed class Stores(StorageContext storage, TimeProvider time)
{
    public StorageContext Storage { get; } = storage;

    public EntityStore<DatasetEntity> Datasets { get; } =
        new(storage, storage.Names.DatasetsTable, "Dataset", time);

    public EntityStore<ExperimentEntity> Experiments { get; } =
        new(storage, storage.Names.ExperimentsTable, "Experiment", time);

    public EntityStore<RunEntity> Runs { get; } =
        new(storage, storage.Names.RunsTable, "Run", time);

    public EntityStore<JobEntity> Jobs { get; } =
        new(storage, storage.Names.JobsTable, "Job", time);

    public EntityStore<DashAI.Functions.Predictions.PredictionEntity> Predictions { get; } =
        new(storage, storage.Names.PredictionsTable, "Prediction", time);
    public EntityStore<DashAI.Functions.Explainers.ExplainerEntity> Explainers { get; } =
        new(storage, storage.Names.ExplainersTable, "Explainer", time);
    public EntityStore<DashAI.Functions.Search.TrialEntity> Trials { get; } =
        new(storage, storage.Names.TrialsTable, "Trial", time);
}

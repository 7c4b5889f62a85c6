using DashAI.Functions.Datasets;
using DashAI.Functions.Experiments;
using DashAI.Functions.Runs;

namespace DashAI.Functions.Tests.Infrastructure;

/// <summary>Creates objects straight through the storage layer, for tests about other endpoints.</summary>
public static class Seed
{
    public static Task<DatasetEntity> Dataset(TestApp app, string? name = null, string task = "TabularClassificationTask") =>
        app.Stores.Datasets.CreateAsync(
            new DatasetEntity { Name = name ?? "ds-" + Guid.NewGuid().ToString("N")[..8], TaskName = task, FilePath = "pending/" },
            CancellationToken.None);

    public static async Task<ExperimentEntity> Experiment(TestApp app, long? datasetId = null, string? name = null, string task = "TabularClassificationTask")
    {
        datasetId ??= (await Dataset(app, task: task)).Id;
        return await app.Stores.Experiments.CreateAsync(
            new ExperimentEntity { DatasetId = datasetId.Value, Name = name ?? "exp-" + Guid.NewGuid().ToString("N")[..8], TaskName = task },
            CancellationToken.None);
    }

    public static async Task<RunEntity> Run(TestApp app, long experimentId, RunStatus status = RunStatus.NotStarted, string model = "LogisticRegression")
    {
        return await app.Stores.Runs.CreateAsync(
            new RunEntity { ExperimentId = experimentId, ModelName = model, Name = "run", Parameters = "{}", Status = (int)status },
            CancellationToken.None);
    }
}

using System.Text.Json.Nodes;
using Azure;
using DashAI.Functions.Datasets;
using DashAI.Functions.Jobs;
using DashAI.Functions.Storage;
using DashAI.ML.Data;
using DashAI.ML.Training;
using Microsoft.Extensions.Options;

namespace DashAI.Functions.Training;

/// <summary>Trains a run with ML.NET on its dataset's stored splits (copied to the attempt's work directory first).</summary>
public sealed class MlNetRunTrainer(StorageContext storage, IOptions<TrainingOptions> options) : IRunTrainer
{
    public async Task<TrainedRun> TrainAsync(TrainingWork work, Action<string> reportStage, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        ArgumentNullException.ThrowIfNull(reportStage);
        reportStage(TrainingStages.Loading);
        var schema = DatasetSchemaJson.FromEntity(work.Dataset)
            ?? throw new PermanentJobException($"Dataset {work.Dataset.Id} has no processed splits; upload it again.");

        var container = storage.Container(storage.Names.DatasetsContainer);
        var paths = new Dictionary<string, string>();
        foreach (var split in SplitNames.All)
        {
            var path = Path.Combine(work.WorkDirectory, split + ".csv");
            try
            {
                await container.GetBlobClient(DatasetBlobs.Split(work.Dataset.Id, split)).DownloadToAsync(path, cancellationToken);
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                throw new PermanentJobException($"The {split} split of dataset {work.Dataset.Id} is missing; upload the dataset again.", e);
            }

            paths[split] = path;
        }

        var parameters = JsonNode.Parse(work.Run.Parameters) as JsonObject ?? [];
        var request = new TrainingRequest(
            work.Experiment.TaskName, work.Run.ModelName, parameters, schema,
            paths[SplitNames.Train], paths[SplitNames.Validation], paths[SplitNames.Test], work.Run.Seed)
        {
            InstanceMemoryBytes = options.Value.InstanceMemoryBytes(),
        };

        // ML.NET fits synchronously and uses every core: run it off the invocation's thread.
        var result = await Task.Run(() => Trainer.Train(request, new StageReporter(reportStage), cancellationToken), cancellationToken);

        var modelPath = Path.Combine(work.WorkDirectory, "model.zip");
        await using (var file = File.Create(modelPath))
        {
            result.SaveModel(file);
        }

        return new TrainedRun(
            modelPath,
            Metrics(result, SplitNames.Train),
            Metrics(result, SplitNames.Validation),
            Metrics(result, SplitNames.Test),
            result.Artifacts);
    }

    private static JsonObject Metrics(TrainingResult result, string split) =>
        result.Metrics.TryGetValue(split, out var metrics)
            ? new JsonObject(metrics.Select(m => KeyValuePair.Create(m.Key, (JsonNode?)(double.IsFinite(m.Value) ? m.Value : null))))
            : [];

    /// <summary>Reports synchronously (Progress&lt;T&gt; would post to the thread pool and could reorder stages).</summary>
    private sealed class StageReporter(Action<string> report) : IProgress<TrainingStage>
    {
        public void Report(TrainingStage value) => report(value.ToString().ToLowerInvariant());
    }
}

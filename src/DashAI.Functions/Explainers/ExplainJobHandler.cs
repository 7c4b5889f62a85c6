using System.Text.Json.Nodes;
using Azure;
using DashAI.Functions.Datasets;
using DashAI.Functions.Http;
using DashAI.Functions.Jobs;
using DashAI.Functions.Runs;
using DashAI.Functions.Storage;
using DashAI.Functions.Telemetry;
using DashAI.ML.Data;
using DashAI.ML.Explainers;

namespace DashAI.Functions.Explainers;

/// <summary>
/// Explainer jobs (type 2): the target is the explainer, the job's run the run whose model it explains. The attempt
/// copies the model and the splits it needs into its work folder, runs the explainer off the invocation's thread,
/// uploads the plots and stores the result before the explainer becomes FINISHED.
/// </summary>
public sealed class ExplainJobHandler(Stores stores, TimeProvider time) : IJobHandler
{
    public int Type => JobTypes.Explain;

    public string Noun => "Explainer";

    public string Doing => "explaining";

    public long TargetOf(JobEntity job) => job.TargetId ?? 0;

    public async Task<string?> StartAsync(JobEntity job, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var started = await stores.Explainers.ChangeAsync(TargetOf(job), e => e.Apply(job.Id, ExplainerEvent.Start, now), cancellationToken);
        if (started is not null)
        {
            return null;
        }

        return await stores.Explainers.FindAsync(TargetOf(job), cancellationToken) is null
            ? "The explainer was deleted."
            : $"The explainer is no longer waiting for job {job.Id}.";
    }

    public async Task<JobResult> ExecuteAsync(JobContext context, CancellationToken cancellationToken)
    {
        var job = context.Job;
        var explainer = await stores.Explainers.FindAsync(TargetOf(job), cancellationToken);
        if (explainer is null)
        {
            return JobResult.Changed("The explainer was deleted.");
        }

        var run = await stores.Runs.FindAsync(explainer.RunId, cancellationToken)
            ?? throw new PermanentJobException($"Run {explainer.RunId} no longer exists.");
        if (run.RunStatus != RunStatus.Finished)
        {
            throw new PermanentJobException($"Run {run.Id} is no longer trained (its status is {run.RunStatus}); create the explainer again once it is.");
        }

        var experiment = await stores.Experiments.FindAsync(run.ExperimentId, cancellationToken)
            ?? throw new PermanentJobException($"Experiment {run.ExperimentId} no longer exists.");
        var dataset = await stores.Datasets.FindAsync(experiment.DatasetId, cancellationToken)
            ?? throw new PermanentJobException($"Dataset {experiment.DatasetId} no longer exists.");
        var schema = DatasetSchemaJson.FromEntity(dataset)
            ?? throw new PermanentJobException($"Dataset {dataset.Id} has no processed splits; upload it again.");
        context.LogScope["Explainer"] = explainer.ExplainerName;
        context.LogScope["Model"] = run.ModelName;
        context.LogScope["DatasetId"] = dataset.Id;

        var folder = context.WorkDirectory;
        var modelPath = Path.Combine(folder, "model.zip");
        await DownloadAsync(stores.Storage.Names.ModelsContainer, RunFiles.ModelBlobName(run.Id), modelPath, $"The model of run {run.Id} is missing; train it again.", cancellationToken);
        var paths = new Dictionary<string, string>();
        foreach (var split in SplitsNeeded(explainer))
        {
            paths[split] = Path.Combine(folder, split + ".csv");
            await DownloadAsync(
                stores.Storage.Names.DatasetsContainer, DatasetBlobs.Split(dataset.Id, split), paths[split],
                $"The {split} split of dataset {dataset.Id} is missing; upload the dataset again.", cancellationToken);
        }

        var artifacts = JsonText.Parse(run.Artifacts) as JsonObject;
        var request = new ExplainRequest(
            explainer.ExplainerName,
            experiment.TaskName,
            run.ModelName,
            JsonText.Parse(explainer.Parameters) as JsonObject ?? [],
            schema,
            ExplainRequest.ClassLabelsFrom(artifacts?["class_labels"] as JsonArray),
            modelPath,
            paths.GetValueOrDefault(SplitNames.Train, ""),
            paths.GetValueOrDefault(SplitNames.Validation, ""),
            paths.GetValueOrDefault(SplitNames.Test, ""));
        var progress = context.Progress;
        // The explainer scores on every core and synchronously: off the invocation's thread.
        var explanation = await Task.Run(() => Explainer.Explain(request, new ProgressReporter(progress), cancellationToken), cancellationToken);

        progress.Stage = "saving";
        var container = stores.Storage.Container(stores.Storage.Names.ArtifactsContainer);
        for (var i = 0; i < explanation.Plots.Count; i++)
        {
            // Fixed names: a retried attempt overwrites its own plots.
            await container.GetBlobClient(ExplainerEntity.PlotBlobName(explainer.Id, i))
                .UploadAsync(BinaryData.FromBytes(explanation.Plots[i]), overwrite: true, cancellationToken);
        }

        var result = explanation.Result.ToJsonString();
        var finished = await stores.Explainers.ChangeAsync(
            explainer.Id,
            e =>
            {
                if (!e.Apply(job.Id, ExplainerEvent.Finish, time.GetUtcNow()))
                {
                    return false;
                }

                e.Result = result;
                e.PlotCount = explanation.Plots.Count;
                e.Done = e.Total;
                return true;
            },
            cancellationToken);
        if (finished is not null)
        {
            return JobResult.Succeeded;
        }

        // Deleted while it ran (itself or with its run): its plots were uploaded after the delete removed its files.
        if (await stores.Explainers.FindAsync(explainer.Id, cancellationToken) is null)
        {
            await stores.Storage.DeleteBlobsAsync(stores.Storage.Names.ArtifactsContainer, ExplainerEntity.FilesPrefix(explainer.Id), cancellationToken);
        }

        return JobResult.Changed("The explainer changed while it ran.");
    }

    public async Task BeatAsync(JobEntity job, JobProgress progress, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var (stage, done, total) = (progress.Stage, progress.Done, progress.Total);
        await stores.Explainers.BeatAsync(
            TargetOf(job),
            job,
            now,
            e =>
            {
                e.Stage = stage;
                e.Done = done;
                e.Total = total;
            },
            cancellationToken);
    }

    public async Task EndAsync(JobEntity job, JobEnd end, string? reason, DateTimeOffset now, CancellationToken cancellationToken) =>
        await stores.Explainers.ChangeAsync(
            TargetOf(job),
            e => e.Apply(job.Id, end == JobEnd.Cancelled ? ExplainerEvent.Cancel : ExplainerEvent.Fail, now, reason),
            cancellationToken);

    public async Task ReleaseAsync(JobEntity job, CancellationToken cancellationToken) =>
        await stores.Explainers.ReleaseAsync(TargetOf(job), job, cancellationToken);

    public void RecordEnded(string status, string? errorKind) => DashAITelemetry.RecordExplainerEnded(status, errorKind);

    /// <summary>Global explainers read the split they are given; local ones draw background rows from the training split.</summary>
    private static IEnumerable<string> SplitsNeeded(ExplainerEntity explainer)
    {
        if (explainer.ExplainerName == ExplainerCatalog.FeatureContributions)
        {
            return [SplitNames.Train];
        }

        var split = (JsonText.Parse(explainer.Parameters) as JsonObject)?["split"]?.GetValue<string>() ?? SplitNames.Test;
        return [split];
    }

    private async Task DownloadAsync(string container, string blob, string path, string missing, CancellationToken cancellationToken)
    {
        try
        {
            await stores.Storage.Container(container).GetBlobClient(blob).DownloadToAsync(path, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            throw new PermanentJobException(missing, e);
        }
    }

    /// <summary>Shows the explainer's stage and rows scored on the job's progress (the heartbeat writes them).</summary>
    private sealed class ProgressReporter(JobProgress progress) : IProgress<ExplainProgress>
    {
        public void Report(ExplainProgress value)
        {
            progress.Total = value.Total ?? progress.Total;
            progress.Done = value.Done ?? progress.Done;
            progress.Stage = value.Stage;
        }
    }
}

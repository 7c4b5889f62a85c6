using System.Text.Json;
using System.Text.Json.Nodes;
using Azure;
using DashAI.Functions.Datasets;
using DashAI.Functions.Jobs;
using DashAI.Functions.Runs;
using DashAI.Functions.Storage;
using DashAI.Functions.Telemetry;
using DashAI.ML.Data;
using DashAI.ML.Prediction;

namespace DashAI.Functions.Predictions;

/// <summary>
/// Batch prediction jobs (type 1): the target is the prediction. An attempt downloads the input (the dataset's original
/// upload, or the uploaded file) into its work folder, streams it through the run's model into a local predictions CSV
/// (one row in memory at a time; the rows scored show on the prediction at every heartbeat), uploads
/// <c>predictions/{id}/predictions.csv</c> and only then marks the prediction finished. Claim, heartbeat, cancel,
/// redelivery and poison come from <see cref="JobWorker"/>.
/// </summary>
public sealed class PredictionJobHandler(Stores stores, PredictionModels models, TimeProvider time) : IJobHandler
{
    public const string Scoring = "scoring";

    public int Type => JobTypes.Predict;

    public string Noun => "Prediction";

    public string Doing => "prediction";

    public long TargetOf(JobEntity job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return job.TargetId ?? 0;
    }

    public async Task<string?> StartAsync(JobEntity job, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        var refusal = "The prediction changed before it started.";
        var started = await stores.Predictions.ChangeAsync(
            TargetOf(job),
            p =>
            {
                if (p.JobId != job.Id || !Lifecycle.Allows(p.Status, PredictionEvent.Start))
                {
                    refusal = $"The prediction is no longer waiting for job {job.Id}.";
                    return false;
                }

                p.Status = Lifecycle.Next(p.Status, PredictionEvent.Start);
                p.StartTime ??= now;
                p.Heartbeat = now;
                p.RowsScored = 0;
                p.Error = null;
                return true;
            },
            cancellationToken);
        if (started is not null)
        {
            return null;
        }

        return await stores.Predictions.FindAsync(TargetOf(job), cancellationToken) is null ? "The prediction was deleted." : refusal;
    }

    public async Task<JobResult> ExecuteAsync(JobContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var job = context.Job;
        var progress = context.Progress;
        var prediction = await stores.Predictions.GetAsync(TargetOf(job), cancellationToken);
        var run = await stores.Runs.FindAsync(prediction.RunId, cancellationToken)
            ?? throw new PermanentJobException($"Run {prediction.RunId} no longer exists.");
        if (run.RunStatus != RunStatus.Finished)
        {
            throw new PermanentJobException($"Run {run.Id} is no longer finished (status {(int)run.RunStatus}); its model changed or is gone.");
        }

        context.LogScope["Model"] = run.ModelName;
        progress.Stage = "loading";
        PredictionModel model;
        try
        {
            model = await models.GetAsync(run, cancellationToken);
        }
        catch (Http.ApiException e)
        {
            throw new PermanentJobException(e.Message, e);
        }

        var input = Path.Combine(context.WorkDirectory, "input");
        await DownloadInputAsync(prediction, input, cancellationToken);
        var output = Path.Combine(context.WorkDirectory, "predictions.csv");
        var loaderOptions = LoaderOptions(prediction);

        progress.Stage = Scoring;
        var rows = new RowsScored(progress);
        var result = await Task.Run(
            () => BatchScorer.Score(model, input, prediction.Dataloader, loaderOptions, output, rows, cancellationToken),
            cancellationToken);

        progress.Stage = "saving";
        cancellationToken.ThrowIfCancellationRequested();
        await stores.Storage.Container(stores.Storage.Names.PredictionsContainer).GetBlobClient(PredictionBlobs.Output(prediction.Id))
            .UploadAsync(output, StorageContext.FileUpload(overwrite: true), cancellationToken);
        var bytes = new FileInfo(output).Length;
        var finished = await stores.Predictions.ChangeAsync(
            prediction.Id,
            p =>
            {
                if (p.JobId != job.Id || !Lifecycle.Allows(p.Status, PredictionEvent.Finish))
                {
                    return false;
                }

                p.Status = Lifecycle.Next(p.Status, PredictionEvent.Finish);
                p.RowsScored = result.Rows;
                p.PredictionColumns = new JsonArray([.. result.PredictionColumns.Select(c => (JsonNode)JsonValue.Create(c))]).ToJsonString();
                p.Warnings = new JsonArray([.. result.Warnings.Select(w => (JsonNode)JsonValue.Create(w))]).ToJsonString();
                p.OutputBytes = bytes;
                p.EndTime = time.GetUtcNow();
                p.Heartbeat = null;
                return true;
            },
            cancellationToken);
        return finished is null ? JobResult.Changed("The prediction changed while it was scored.") : JobResult.Succeeded;
    }

    public async Task BeatAsync(JobEntity job, JobProgress progress, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(progress);
        var done = progress.Done;
        await stores.Predictions.BeatAsync(
            TargetOf(job),
            job,
            now,
            p => p.RowsScored = done ?? p.RowsScored,
            cancellationToken);
    }

    public async Task EndAsync(JobEntity job, JobEnd end, string? reason, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        var status = end == JobEnd.Cancelled ? PredictionStatus.Cancelled : PredictionStatus.Error;
        await stores.Predictions.ChangeAsync(TargetOf(job), p => p.EndFor(job.Id, status, reason, now), cancellationToken);
    }

    public async Task ReleaseAsync(JobEntity job, CancellationToken cancellationToken) =>
        await stores.Predictions.ReleaseAsync(TargetOf(job), job, cancellationToken);

    public void RecordEnded(string status, string? errorKind) => DashAITelemetry.RecordPredictionEnded(status, errorKind);

    private async Task DownloadInputAsync(PredictionEntity prediction, string path, CancellationToken cancellationToken)
    {
        var (container, blob) = prediction.DatasetId is { } datasetId
            ? (stores.Storage.Names.DatasetsContainer, DatasetBlobs.Original(datasetId))
            : (stores.Storage.Names.PredictionsContainer, PredictionBlobs.Input(prediction.Id));
        try
        {
            await stores.Storage.Container(container).GetBlobClient(blob).DownloadToAsync(path, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            throw new PermanentJobException(prediction.DatasetId is { } id ? $"Dataset {id} no longer has its file." : "The uploaded file is gone.");
        }
    }

    /// <summary>The dataloader parameters stored with the prediction, read by the dataset upload's rules.</summary>
    internal static DataLoaderOptions LoaderOptions(PredictionEntity prediction)
    {
        var root = new JsonObject { ["dataloader"] = prediction.Dataloader };
        if (prediction.DataloaderParams is { } parameters)
        {
            root["dataloader_params"] = JsonNode.Parse(parameters);
        }

        var errors = new List<string>();
        using var document = JsonDocument.Parse(root.ToJsonString());
        var (_, options) = IngestRequest.ParseDataLoader(document.RootElement, errors);
        return errors.Count == 0 ? options : throw new PermanentJobException(string.Join("; ", errors));
    }

    /// <summary>Rows scored, as the batch scorer reports them, shown on the prediction at the next heartbeat.</summary>
    private sealed class RowsScored(JobProgress progress) : IProgress<long>
    {
        public void Report(long value) => progress.Done = value;
    }
}

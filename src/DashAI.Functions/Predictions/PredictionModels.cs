using System.Collections.Concurrent;
using Azure;
using Azure.Storage.Blobs.Models;
using DashAI.Functions.Datasets;
using DashAI.Functions.Http;
using DashAI.Functions.Runs;
using DashAI.Functions.Storage;
using DashAI.ML.Data;
using DashAI.ML.Prediction;
using Microsoft.Extensions.Options;

namespace DashAI.Functions.Predictions;

/// <summary>
/// The trained models of finished runs, loaded for prediction and kept in this instance's <see cref="ModelCache{TModel}"/>
/// (keyed by run id and the model blob's ETag, so a retrained run never serves its old model), and their ONNX form,
/// converted once and kept next to the zip (<c>models/{run_id}/model.onnx</c>, tagged with the zip's ETag).
/// </summary>
public sealed class PredictionModels(Stores stores, IOptions<PredictionOptions> options) : IDisposable
{
    private const string SourceETagMetadata = "source_etag";

    private readonly ModelCache<PredictionModel> _cache = new(Math.Max(1, options.Value.ModelCacheMB) * 1024L * 1024);
    private readonly ConcurrentDictionary<(long RunId, string ETag), Lazy<Task<byte[]>>> _converting = new();
    private long _loads;

    public static string OnnxBlobName(long runId) => $"{runId}/model.onnx";

    /// <summary>How many times this instance downloaded and loaded a model (for tests and diagnostics).</summary>
    public long Loads => Interlocked.Read(ref _loads);

    /// <summary>The cache itself, for tests and diagnostics.</summary>
    public ModelCache<PredictionModel> Cache => _cache;

    /// <summary>
    /// The loaded model of <paramref name="run"/>, which must be FINISHED: one small read of the model blob's properties,
    /// and a download and load only when this instance does not hold that version yet.
    /// </summary>
    public async Task<PredictionModel> GetAsync(RunEntity run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        var (etag, _) = await ModelVersionAsync(run, cancellationToken);
        return await GetAsync(run, etag, cancellationToken);
    }

    /// <summary>
    /// The run's model as ONNX, converted once per model version and stored beside the zip. A pipeline the converter
    /// cannot export throws <see cref="ModelExportException"/> naming the step (the API answers 422).
    /// </summary>
    public async Task<byte[]> GetOnnxAsync(RunEntity run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        var (etag, _) = await ModelVersionAsync(run, cancellationToken);
        var blob = Models.GetBlobClient(OnnxBlobName(run.Id));
        try
        {
            var stored = await blob.DownloadContentAsync(cancellationToken);
            if (stored.Value.Details.Metadata.TryGetValue(SourceETagMetadata, out var source) && source == etag.ToString())
            {
                return stored.Value.Content.ToArray();
            }
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // Not converted yet.
        }

        // One conversion per model version in this instance, whoever asks first; a failed one is not kept.
        var key = (run.Id, etag.ToString());
        var conversion = _converting.GetOrAdd(key, _ => new Lazy<Task<byte[]>>(() => ConvertAsync(run, etag, blob, cancellationToken)));
        try
        {
            return await conversion.Value.WaitAsync(cancellationToken);
        }
        finally
        {
            _converting.TryRemove(KeyValuePair.Create(key, conversion));
        }
    }

    private async Task<byte[]> ConvertAsync(RunEntity run, ETag etag, Azure.Storage.Blobs.BlobClient blob, CancellationToken cancellationToken)
    {
        var model = await GetAsync(run, etag, cancellationToken);
        using var onnx = new MemoryStream();
        await Task.Run(() => OnnxExport.Export(model, onnx), cancellationToken);
        onnx.Position = 0;
        await blob.UploadAsync(
            onnx,
            new BlobUploadOptions { Metadata = new Dictionary<string, string> { [SourceETagMetadata] = etag.ToString() } },
            cancellationToken);
        return onnx.ToArray();
    }

    private Azure.Storage.Blobs.BlobContainerClient Models => stores.Storage.Container(stores.Storage.Names.ModelsContainer);

    private async Task<(ETag ETag, long Bytes)> ModelVersionAsync(RunEntity run, CancellationToken cancellationToken)
    {
        try
        {
            var properties = await Models.GetBlobClient(RunFiles.ModelBlobName(run.Id)).GetPropertiesAsync(cancellationToken: cancellationToken);
            return (properties.Value.ETag, properties.Value.ContentLength);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            throw new NotFoundException($"The model file of run {run.Id} is missing.");
        }
    }

    private Task<PredictionModel> GetAsync(RunEntity run, ETag etag, CancellationToken cancellationToken) =>
        _cache.GetOrLoadAsync(run.Id, etag.ToString(), token => LoadAsync(run, etag, token), cancellationToken);

    private async Task<(PredictionModel Model, long SizeBytes)> LoadAsync(RunEntity run, ETag etag, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _loads);
        var schema = await SchemaAsync(run, cancellationToken);
        using var zip = new MemoryStream();
        try
        {
            await Models.GetBlobClient(RunFiles.ModelBlobName(run.Id)).DownloadToAsync(
                zip, new BlobDownloadToOptions { Conditions = new BlobRequestConditions { IfMatch = etag } }, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
            throw new ConflictException($"The model of run {run.Id} changed while it was loading; try again.");
        }

        zip.Position = 0;
        var model = PredictionModel.Load(zip, schema);
        return (model, model.EstimatedBytes);
    }

    /// <summary>The stored schema of the dataset the run was trained on.</summary>
    public async Task<DatasetSchema> SchemaAsync(RunEntity run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        var experiment = await stores.Experiments.FindAsync(run.ExperimentId, cancellationToken)
            ?? throw new ConflictException($"The experiment of run {run.Id} no longer exists.");
        var dataset = await stores.Datasets.FindAsync(experiment.DatasetId, cancellationToken)
            ?? throw new ConflictException($"The dataset run {run.Id} was trained on no longer exists.");
        return DatasetSchemaJson.FromEntity(dataset)
            ?? throw new ConflictException($"Dataset {dataset.Id} has no stored schema.");
    }

    public void Dispose() => _cache.Dispose();
}

using Azure;
using Azure.Storage.Blobs.Models;
using DashAI.Functions.Storage;
using Microsoft.Extensions.Logging;

namespace DashAI.Functions.Runs;

/// <summary>The versions of a run's files seen at one moment, to delete once a results reset has been stored.</summary>
public sealed class CapturedRunFiles
{
    internal CapturedRunFiles(long runId, IReadOnlyList<(string Container, string Name, ETag ETag)> blobs)
    {
        RunId = runId;
        Blobs = blobs;
    }

    public long RunId { get; }

    public IReadOnlyList<(string Container, string Name, ETag ETag)> Blobs { get; }
}

/// <summary>
/// A run's files in Blob Storage: its trained model (<c>models/{run_id}/model.zip</c>) and everything under
/// <c>artifacts/{run_id}/</c> (results too large for a table property). The one place that names
/// the model and deletes a run's files.
/// </summary>
public sealed partial class RunFiles(Stores stores, DashAI.Functions.Explainers.ExplainerFiles explainers, ILogger<RunFiles> logger)
{
    /// <summary>The model's blob name in the models container; fixed, so a retried training overwrites it.</summary>
    public static string ModelBlobName(long runId) => $"{runId}/model.zip";

    /// <summary>
    /// Deletes the run if its ETag still matches, then every file under its id (ids are never reused), its
    /// explainers with their files, and the trials of its searches.
    /// </summary>
    public async Task DeleteRunAndFilesAsync(RunEntity run, ETag ifMatch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        await stores.Runs.DeleteAsync(run, ifMatch, cancellationToken);
        foreach (var container in Containers)
        {
            await stores.Storage.DeleteBlobsAsync(container, Prefix(run.Id), cancellationToken);
        }

        await explainers.DeleteForRunAsync(run.Id, cancellationToken);
        var trials = await stores.Trials.ListAsync(Azure.Data.Tables.TableClient.CreateQueryFilter($"RunId eq {run.Id}"), cancellationToken);
        foreach (var trial in trials)
        {
            try
            {
                await stores.Trials.DeleteAsync(trial, trial.ETag, cancellationToken);
            }
            catch (Exception e) when (e is StaleEntityException or EntityNotFoundException)
            {
                // A trial handler of the run's last moments wrote or deleted it first; it belongs to a deleted run either way.
            }
        }
    }

    /// <summary>
    /// Lists the run's files as they are before its results are reset. Call it before the reset is written and
    /// <see cref="DeleteCapturedAsync"/> after the write succeeded, so a refused write (stale ETag) deletes nothing.
    /// </summary>
    public async Task<CapturedRunFiles> CaptureAsync(long runId, CancellationToken cancellationToken)
    {
        var blobs = new List<(string, string, ETag)>();
        foreach (var container in Containers)
        {
            await foreach (var blob in stores.Storage.Container(container)
                .GetBlobsAsync(BlobTraits.None, BlobStates.None, Prefix(runId), cancellationToken))
            {
                blobs.Add((container, blob.Name, blob.Properties.ETag ?? ETag.All));
            }
        }

        return new CapturedRunFiles(runId, blobs);
    }

    /// <summary>
    /// Deletes the captured files that are still the version captured. A file written since is kept: the reset
    /// write stores large parameters under the same prefix, and a new training may already have saved its model.
    /// Idempotent. The reset is already stored when this runs, so a storage failure here is logged, not thrown:
    /// what it leaves is deleted by the run's next reset or by deleting the run.
    /// </summary>
    public async Task DeleteCapturedAsync(CapturedRunFiles captured, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(captured);
        foreach (var (container, name, etag) in captured.Blobs)
        {
            try
            {
                await stores.Storage.Container(container).DeleteBlobIfExistsAsync(
                    name, DeleteSnapshotsOption.IncludeSnapshots, new BlobRequestConditions { IfMatch = etag }, cancellationToken);
            }
            catch (RequestFailedException e) when (e.Status == 412)
            {
                // Rewritten since the capture: it belongs to the run's current state.
            }
            catch (RequestFailedException e)
            {
                LogDeleteFailed(logger, e, captured.RunId, container, name);
            }
        }
    }

    private string[] Containers => [stores.Storage.Names.ModelsContainer, stores.Storage.Names.ArtifactsContainer];

    private static string Prefix(long runId) => $"{runId}/";

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not delete file {Container}/{Blob} of run {RunId} after its results were reset")]
    private static partial void LogDeleteFailed(ILogger logger, Exception exception, long runId, string container, string blob);
}

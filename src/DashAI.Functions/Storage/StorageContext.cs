using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Queues;

namespace DashAI.Functions.Storage;

/// <summary>
/// The singleton storage clients and names, and a once-per-process creation of the tables, containers and
/// queues the app uses (a failed attempt is retried by the next caller).
/// </summary>
public sealed class StorageContext(TableServiceClient tables, BlobServiceClient blobs, QueueServiceClient queues, StorageNames names) : IDisposable
{
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _disposing = new();
    private Task? _attempt;
    private volatile bool _ready;

    public StorageNames Names { get; } = names;

    public TableServiceClient TableService { get; } = tables;

    public BlobServiceClient BlobService { get; } = blobs;

    public QueueServiceClient QueueService { get; } = queues;

    public TableClient Table(string name) => TableService.GetTableClient(name);

    public BlobContainerClient Container(string name) => BlobService.GetBlobContainerClient(name);

    public QueueClient Queue(string name) => QueueService.GetQueueClient(name);

    /// <summary>
    /// How files are uploaded: in blocks of <see cref="StorageClients.BlobTransferBytes"/>, so that each request fits the
    /// blob client's network timeout whatever the file's size. <paramref name="overwrite"/> false refuses an existing blob.
    /// </summary>
    public static BlobUploadOptions FileUpload(bool overwrite) => new()
    {
        TransferOptions = new Azure.Storage.StorageTransferOptions
        {
            InitialTransferSize = StorageClients.BlobTransferBytes,
            MaximumTransferSize = StorageClients.BlobTransferBytes,
            MaximumConcurrency = 2,
        },
        Conditions = overwrite ? null : new BlobRequestConditions { IfNoneMatch = ETag.All },
    };

    /// <summary>
    /// Creates the app's tables, containers and queues once per process. Concurrent callers share one attempt (so when
    /// storage hangs they all fail within one attempt's time instead of queueing behind each other); a failed attempt
    /// is retried by the next caller.
    /// </summary>
    public async Task EnsureReadyAsync(CancellationToken cancellationToken)
    {
        if (_ready)
        {
            return;
        }

        Task attempt;
        lock (_gate)
        {
            if (_attempt is null || _attempt.IsFaulted || _attempt.IsCanceled)
            {
                _attempt = CreateAllAsync(_disposing.Token);
            }

            attempt = _attempt;
        }

        await attempt.WaitAsync(cancellationToken);
    }

    private async Task CreateAllAsync(CancellationToken cancellationToken)
    {
        foreach (var table in new[] { Names.DatasetsTable, Names.ExperimentsTable, Names.RunsTable, Names.JobsTable, Names.PredictionsTable, Names.ExplainersTable, Names.TrialsTable })
        {
            await Table(table).CreateIfNotExistsAsync(cancellationToken);
        }

        foreach (var container in new[] { Names.DatasetsContainer, Names.ModelsContainer, Names.ArtifactsContainer, Names.PredictionsContainer })
        {
            await Container(container).CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        }

        foreach (var queue in new[] { Names.TrainingQueueName, Names.TrainingPoisonQueueName })
        {
            await Queue(queue).CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        }

        _ready = true;
    }

    /// <summary>Deletes every blob whose name starts with <paramref name="prefix"/>.</summary>
    public async Task DeleteBlobsAsync(string container, string prefix, CancellationToken cancellationToken)
    {
        var client = Container(container);
        await foreach (var blob in client.GetBlobsAsync(BlobTraits.None, BlobStates.None, prefix, cancellationToken))
        {
            try
            {
                await client.DeleteBlobIfExistsAsync(blob.Name, cancellationToken: cancellationToken);
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                // Already gone: deleting is idempotent.
            }
        }
    }

    public void Dispose()
    {
        _disposing.Cancel();
        _disposing.Dispose();
    }
}

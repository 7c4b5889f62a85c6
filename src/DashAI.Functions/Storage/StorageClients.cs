using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;

namespace DashAI.Functions.Storage;

/// <summary>
/// The app's storage clients, built from the same <c>AzureWebJobsStorage</c> setting the Functions host uses:
/// either a connection string (Azurite: <c>UseDevelopmentStorage=true</c>), or, in Azure, the identity-based form
/// <c>AzureWebJobsStorage__blobServiceUri</c> / <c>__queueServiceUri</c> / <c>__tableServiceUri</c> with
/// <c>__credential=managedidentity</c> and <c>__clientId</c>, all three clients sharing one credential (one token cache).
/// </summary>
public sealed class StorageClients
{
    public const string ConnectionName = "AzureWebJobsStorage";

    private readonly IConfiguration _configuration;
    private readonly Lazy<TokenCredential> _credential;

    public StorageClients(IConfiguration configuration)
    {
        _configuration = configuration;
        _credential = new Lazy<TokenCredential>(() => CreateCredential(configuration.GetSection(ConnectionName)));
    }

    private string? ConnectionString => string.IsNullOrWhiteSpace(_configuration[ConnectionName]) ? null : _configuration[ConnectionName];

    /// <summary>How long one storage request may take before it counts as failed (table and queue operations are small).</summary>
    public static readonly TimeSpan NetworkTimeout = TimeSpan.FromSeconds(4);

    /// <summary>Blob requests carry up to <see cref="BlobTransferBytes"/> of a file, so they get longer.</summary>
    public static readonly TimeSpan BlobNetworkTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The most a single blob request uploads; larger files go in blocks of this size.</summary>
    public const int BlobTransferBytes = 8 * 1024 * 1024;

    /// <summary>Retries after the first try: with <see cref="RetryDelay"/>, a dead or hung account fails a table call within <see cref="UnavailableBudget"/>.</summary>
    public const int MaxRetries = 1;

    /// <summary>The wait before a retry (the SDK adds up to 20% jitter).</summary>
    public static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(0.5);

    /// <summary>The longest a table or queue call can take when storage is dead or hangs: every try times out, plus the waits between them.</summary>
    public static TimeSpan UnavailableBudget => ((MaxRetries + 1) * NetworkTimeout) + (MaxRetries * RetryDelay * 1.2);

    public TableServiceClient CreateTableServiceClient()
    {
        var options = Configure(new TableClientOptions(), NetworkTimeout);
        return ConnectionString is { } cs ? new TableServiceClient(cs, options) : new TableServiceClient(ServiceUri("tableServiceUri"), _credential.Value, options);
    }

    public BlobServiceClient CreateBlobServiceClient()
    {
        var options = Configure(new BlobClientOptions(), BlobNetworkTimeout);
        return ConnectionString is { } cs ? new BlobServiceClient(cs, options) : new BlobServiceClient(ServiceUri("blobServiceUri"), _credential.Value, options);
    }

    /// <summary>The queue client encodes messages in base64, the encoding the host's queue trigger expects.</summary>
    public QueueServiceClient CreateQueueServiceClient()
    {
        var options = Configure(new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 }, NetworkTimeout);
        return ConnectionString is { } cs
            ? new QueueServiceClient(cs, options)
            : new QueueServiceClient(ServiceUri("queueServiceUri"), _credential.Value, options);
    }

    /// <summary>
    /// The SDK's defaults (a 100 s network timeout, 3 retries up to a minute apart) keep a request waiting for minutes
    /// when the account is down or hangs; an HTTP caller is better served by a quick 503 and its own retry, and the queue
    /// trigger by a quick throw and redelivery. Throttling still backs off, within the same budget.
    /// </summary>
    private static T Configure<T>(T options, TimeSpan networkTimeout)
        where T : ClientOptions
    {
        options.Retry.Mode = RetryMode.Exponential;
        options.Retry.MaxRetries = MaxRetries;
        options.Retry.Delay = RetryDelay;
        options.Retry.MaxDelay = RetryDelay;
        options.Retry.NetworkTimeout = networkTimeout;
        return options;
    }

    private Uri ServiceUri(string key)
    {
        var uri = _configuration.GetSection(ConnectionName)[key];
        if (string.IsNullOrWhiteSpace(uri))
        {
            throw new InvalidOperationException(
                $"Storage is not configured: set '{ConnectionName}' to a connection string, or '{ConnectionName}__{key}' (with '__credential' and '__clientId' for a managed identity).");
        }

        return new Uri(uri);
    }

    private static TokenCredential CreateCredential(IConfigurationSection section)
    {
        var clientId = section["clientId"];
        if (string.Equals(section["credential"], "managedidentity", StringComparison.OrdinalIgnoreCase))
        {
            return string.IsNullOrWhiteSpace(clientId)
                ? new ManagedIdentityCredential(ManagedIdentityId.SystemAssigned)
                : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId));
        }

        return new DefaultAzureCredential(new DefaultAzureCredentialOptions { ManagedIdentityClientId = clientId });
    }
}

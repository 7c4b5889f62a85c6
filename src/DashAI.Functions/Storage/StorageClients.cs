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

    public TableServiceClient CreateTableServiceClient() =>
        ConnectionString is { } cs ? new TableServiceClient(cs) : new TableServiceClient(ServiceUri("tableServiceUri"), _credential.Value);

    public BlobServiceClient CreateBlobServiceClient() =>
        ConnectionString is { } cs ? new BlobServiceClient(cs) : new BlobServiceClient(ServiceUri("blobServiceUri"), _credential.Value);

    /// <summary>The queue client encodes messages in base64, the encoding the host's queue trigger expects.</summary>
    public QueueServiceClient CreateQueueServiceClient()
    {
        var options = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 };
        return ConnectionString is { } cs
            ? new QueueServiceClient(cs, options)
            : new QueueServiceClient(ServiceUri("queueServiceUri"), _credential.Value, options);
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

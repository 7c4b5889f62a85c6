using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;

namespace DashAI.Functions.Storage;

/// <summary>
/// Builds the app's storage clients from the same <c>AzureWebJobsStorage</c> setting the Functions host
/// uses: either a connection string (Azurite: <c>UseDevelopmentStorage=true</c>), or, in Azure, the
/// identity-based form <c>AzureWebJobsStorage__blobServiceUri</c> / <c>__queueServiceUri</c> /
/// <c>__tableServiceUri</c> with <c>__credential=managedidentity</c> and <c>__clientId</c>.
/// </summary>
public static class StorageClients
{
    public const string ConnectionName = "AzureWebJobsStorage";

    public static TableServiceClient CreateTableServiceClient(IConfiguration configuration) =>
        Create(configuration, "tableServiceUri",
            cs => new TableServiceClient(cs),
            (uri, credential) => new TableServiceClient(uri, credential));

    public static BlobServiceClient CreateBlobServiceClient(IConfiguration configuration) =>
        Create(configuration, "blobServiceUri",
            cs => new BlobServiceClient(cs),
            (uri, credential) => new BlobServiceClient(uri, credential));

    /// <summary>The queue client encodes messages in base64, the encoding the host's queue trigger expects.</summary>
    public static QueueServiceClient CreateQueueServiceClient(IConfiguration configuration)
    {
        var options = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 };
        return Create(configuration, "queueServiceUri",
            cs => new QueueServiceClient(cs, options),
            (uri, credential) => new QueueServiceClient(uri, credential, options));
    }

    private static T Create<T>(IConfiguration configuration, string uriKey, Func<string, T> fromConnectionString, Func<Uri, TokenCredential, T> fromIdentity)
    {
        var connectionString = configuration[ConnectionName];
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            return fromConnectionString(connectionString);
        }

        var section = configuration.GetSection(ConnectionName);
        var uri = section[uriKey];
        if (string.IsNullOrWhiteSpace(uri))
        {
            throw new InvalidOperationException(
                $"Storage is not configured: set '{ConnectionName}' to a connection string, or '{ConnectionName}__{uriKey}' (with '__credential' and '__clientId' for a managed identity).");
        }

        return fromIdentity(new Uri(uri), CreateCredential(section));
    }

    private static TokenCredential CreateCredential(IConfigurationSection section)
    {
        var clientId = section["clientId"];
        var credential = section["credential"];
        if (string.Equals(credential, "managedidentity", StringComparison.OrdinalIgnoreCase))
        {
            return string.IsNullOrWhiteSpace(clientId)
                ? new ManagedIdentityCredential(ManagedIdentityId.SystemAssigned)
                : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId));
        }

        return new DefaultAzureCredential(new DefaultAzureCredentialOptions { ManagedIdentityClientId = clientId });
    }
}

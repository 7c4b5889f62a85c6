using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using DashAI.Functions.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace DashAI.Functions.Tests.Deployment;

/// <summary>
/// The app's service registration over the identity-based settings the Bicep template sets (service URIs, a
/// managed identity's client id, no key) builds clients for those URIs. Constructing them needs no network.
/// </summary>
public sealed class IdentityStorageClientsTests
{
    private const string Account = "stdashaideploytest";

    [Fact]
    public void AddDashAIBuildsStorageClientsForTheServiceUrisOfAnIdentityConfiguration()
    {
        using var services = BuildServices(IdentitySettings());

        Assert.Equal(new Uri($"https://{Account}.blob.core.windows.net/"), services.GetRequiredService<BlobServiceClient>().Uri);
        Assert.Equal(new Uri($"https://{Account}.queue.core.windows.net/"), services.GetRequiredService<QueueServiceClient>().Uri);
        Assert.Equal(new Uri($"https://{Account}.table.core.windows.net/"), services.GetRequiredService<TableServiceClient>().Uri);
        Assert.Equal(Account, services.GetRequiredService<TableServiceClient>().AccountName);
    }

    [Fact]
    public void IdentityConfiguredClientsHoldNoSharedKey()
    {
        using var services = BuildServices(IdentitySettings());

        // Only a shared key credential can sign an account SAS: these clients authenticate with tokens.
        Assert.False(services.GetRequiredService<BlobServiceClient>().CanGenerateAccountSasUri);
        Assert.False(services.GetRequiredService<QueueServiceClient>().CanGenerateAccountSasUri);
    }

    [Fact]
    public void IdentitySettingsAreTheOnesTheBicepTemplateSets()
    {
        var bicep = AppConfiguration.BicepAppSettings();

        Assert.All(IdentitySettings().Keys, k => Assert.True(bicep.ContainsKey(k), $"The test configures {k}, which Bicep does not set."));
    }

    /// <summary>App-setting names as Bicep writes them; values as Azure fills them in.</summary>
    private static Dictionary<string, string> IdentitySettings() => new(StringComparer.OrdinalIgnoreCase)
    {
        ["AzureWebJobsStorage__credential"] = "managedidentity",
        ["AzureWebJobsStorage__clientId"] = "00000000-0000-0000-0000-00000000a11d",
        ["AzureWebJobsStorage__blobServiceUri"] = $"https://{Account}.blob.core.windows.net/",
        ["AzureWebJobsStorage__queueServiceUri"] = $"https://{Account}.queue.core.windows.net/",
        ["AzureWebJobsStorage__tableServiceUri"] = $"https://{Account}.table.core.windows.net/",
    };

    private static ServiceProvider BuildServices(Dictionary<string, string> settings)
    {
        // App settings reach .NET configuration as environment variables, where "__" separates sections.
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(kv => KeyValuePair.Create(AppConfiguration.ToConfigurationKey(kv.Key), (string?)kv.Value)))
            .Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        services.AddDashAI(configuration);
        return services.BuildServiceProvider(validateScopes: true);
    }
}

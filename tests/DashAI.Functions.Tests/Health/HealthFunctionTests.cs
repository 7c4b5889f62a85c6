using DashAI.Functions.Health;
using DashAI.Functions.Tests.Infrastructure;

namespace DashAI.Functions.Tests.Health;

public sealed class HealthFunctionTests
{
    [Fact]
    public async Task HealthIsOkWhenStorageIsReachable()
    {
        await using var app = TestApp.Create();

        var response = await app.Invoke(app.Request("GET"), app.Function<HealthFunction>().Check);

        response.AssertStatus(200);
        Assert.Equal("healthy", response.Json["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task HealthIsServiceUnavailableWhenStorageIsNot()
    {
        // A port nothing listens on: the storage calls fail fast with a connection error.
        var settings = new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;QueueEndpoint=http://127.0.0.1:9/devstoreaccount1;TableEndpoint=http://127.0.0.1:9/devstoreaccount1;",
        };
        await using var app = TestApp.Create(settings: settings);

        var response = await app.Invoke(app.Request("GET"), app.Function<HealthFunction>().Check);

        response.AssertStatus(503);
        Assert.Equal("unhealthy", response.Json["status"]!.GetValue<string>());
    }
}

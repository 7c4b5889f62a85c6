using DashAI.Functions.OpenApi;
using DashAI.Functions.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace DashAI.Functions.Health;

/// <summary>
/// The one anonymous endpoint: tells a load balancer or a person whether the app can reach its storage.
/// It reveals nothing but reachability.
/// </summary>
public sealed class HealthFunction(StorageContext storage)
{
    [Function("Health")]
    [ApiOperation("Whether the app can reach its storage (503 when it cannot)", Response = typeof(HealthReport), AlsoStatus = 503)]
    public async Task<IResult> Check(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            await storage.EnsureReadyAsync(timeout.Token);
            await storage.Table(storage.Names.RunsTable).QueryAsync<Azure.Data.Tables.TableEntity>(maxPerPage: 1, cancellationToken: timeout.Token)
                .AsPages().GetAsyncEnumerator(timeout.Token).MoveNextAsync();
            return TypedResults.Ok(new HealthReport("healthy", "reachable"));
        }
        catch (Exception e) when (e is Azure.RequestFailedException or OperationCanceledException or AggregateException or InvalidOperationException)
        {
            return TypedResults.Json(new HealthReport("unhealthy", "unreachable"), statusCode: 503);
        }
    }
}

/// <summary>What <c>GET /health</c> answers.</summary>
public sealed record HealthReport(
    [property: ApiValues(typeof(HealthReport.States))] string Status,
    [property: ApiValues(typeof(HealthReport.Reachability))] string Storage)
{
    public static class States
    {
        public const string Healthy = "healthy";
        public const string Unhealthy = "unhealthy";
    }

    public static class Reachability
    {
        public const string Reachable = "reachable";
        public const string Unreachable = "unreachable";
    }
}

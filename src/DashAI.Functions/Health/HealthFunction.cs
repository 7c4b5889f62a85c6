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
            return TypedResults.Ok(new { status = "healthy", storage = "reachable" });
        }
        catch (Exception e) when (e is Azure.RequestFailedException or OperationCanceledException or AggregateException or InvalidOperationException)
        {
            return TypedResults.Json(new { status = "unhealthy", storage = "unreachable" }, statusCode: 503);
        }
    }
}

using Azure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DashAI.Functions.Http;

/// <summary>Success results that also carry the stored object's ETag, so clients can send If-Match; blobs served as files.</summary>
public static class ApiResults
{
    public static IResult Ok<T>(T value, ETag etag) => new WithHeaders(TypedResults.Ok(value), etag);

    public static IResult Created<T>(string location, T value, ETag etag) =>
        new WithHeaders(TypedResults.Created(location, value), etag);

    /// <summary>Streams a blob the API serves as a file; a blob that is gone is a 404 saying <paramref name="missing"/>.</summary>
    public static async Task<IResult> BlobAsync(
        Azure.Storage.Blobs.BlobClient blob, string contentType, string? fileName, string missing, CancellationToken cancellationToken)
    {
        try
        {
            var stream = await blob.OpenReadAsync(cancellationToken: cancellationToken);
            return TypedResults.Stream(stream, contentType, fileName);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            throw new NotFoundException(missing);
        }
    }

    private sealed class WithHeaders(IResult inner, ETag etag) : IResult, IStatusCodeHttpResult
    {
        public int? StatusCode => (inner as IStatusCodeHttpResult)?.StatusCode;

        public Task ExecuteAsync(HttpContext httpContext)
        {
            if (etag != default)
            {
                httpContext.Response.Headers.ETag = etag.ToString("H");
            }

            return inner.ExecuteAsync(httpContext);
        }
    }
}

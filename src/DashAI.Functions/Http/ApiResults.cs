using Azure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DashAI.Functions.Http;

/// <summary>Success results that also carry the stored object's ETag, so clients can send If-Match.</summary>
public static class ApiResults
{
    public static IResult Ok<T>(T value, ETag etag) => new WithHeaders(TypedResults.Ok(value), etag);

    public static IResult Created<T>(string location, T value, ETag etag) =>
        new WithHeaders(TypedResults.Created(location, value), etag);

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

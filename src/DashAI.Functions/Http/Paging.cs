using System.Buffers.Text;
using System.Globalization;
using System.Text;
using DashAI.Functions.Storage;
using Microsoft.AspNetCore.Http;

namespace DashAI.Functions.Http;

/// <summary>
/// Paged lists, the same for every collection. A list stays a bare JSON array (the thesis contract); <c>limit</c>
/// (1–1000) and <c>continuation</c> query parameters select a page, and a next page is announced only in a
/// <c>Link: &lt;…&gt;; rel="next"</c> header (RFC 8288), absent on the last page. Without <c>limit</c> a list
/// answers the whole collection. The continuation token is opaque to clients.
/// </summary>
public sealed record PageRequest(int? Limit, long? AfterId)
{
    public const int MaxLimit = 1000;

    private const string TokenVersion = "v1:";

    public static PageRequest From(HttpRequest request)
    {
        int? limit = null;
        if (request.Query.TryGetValue("limit", out var limitText))
        {
            limit = int.TryParse(limitText.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var l) && l is >= 1 and <= MaxLimit
                ? l
                : throw new BadRequestException($"'limit' must be an integer from 1 to {MaxLimit}, got '{limitText}'.");
        }

        long? afterId = null;
        if (request.Query.TryGetValue("continuation", out var token))
        {
            afterId = Decode(token.ToString())
                ?? throw new BadRequestException("'continuation' is not a token this API issued; use the URL of a Link: rel=\"next\" header.");
        }

        return new PageRequest(limit, afterId);
    }

    /// <summary>Reads one page of <paramref name="store"/> and answers it as a JSON array with a next link.</summary>
    public async Task<IResult> ListAsync<TEntity, TDto>(
        HttpRequest request, EntityStore<TEntity> store, string? filter, Func<TEntity, TDto> toDto, CancellationToken cancellationToken)
        where TEntity : EntityBase, new()
    {
        var page = await store.ListPageAsync(filter, AfterId, Limit, cancellationToken);
        var items = page.Items.Select(toDto).ToList();
        return page.HasMore && page.Items.Count > 0
            ? new WithNextLink(TypedResults.Ok(items), NextLink(request, page.Items[^1].Id))
            : TypedResults.Ok(items);
    }

    internal static string Encode(long afterId) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes(TokenVersion + afterId.ToString(CultureInfo.InvariantCulture)));

    internal static long? Decode(string token)
    {
        if (token.Length is 0 or > 64 || !Base64Url.IsValid(token))
        {
            return null;
        }

        var text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(token));
        return text.StartsWith(TokenVersion, StringComparison.Ordinal)
            && long.TryParse(text.AsSpan(TokenVersion.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            && id > 0
                ? id
                : null;
    }

    /// <summary>The same request (path and query) with the continuation of the next page, as a relative reference.</summary>
    private static string NextLink(HttpRequest request, long lastId)
    {
        var query = request.Query
            .Where(p => p.Key != "continuation")
            .SelectMany(p => p.Value.Select(v => new KeyValuePair<string, string?>(p.Key, v)))
            .Append(new("continuation", Encode(lastId)));
        return $"<{request.PathBase}{request.Path}{QueryString.Create(query)}>; rel=\"next\"";
    }

    private sealed class WithNextLink(IResult inner, string link) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.Link = link;
            return inner.ExecuteAsync(httpContext);
        }
    }
}

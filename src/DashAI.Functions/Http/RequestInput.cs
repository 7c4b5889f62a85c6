using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure;
using Microsoft.AspNetCore.Http;

namespace DashAI.Functions.Http;

/// <summary>
/// The fields of a create or update request. The thesis API passed them as query parameters; clients may also
/// send a JSON object body with the same snake_case names. A field given in both places is an error.
/// </summary>
public sealed class RequestInput
{
    private readonly IQueryCollection _query;

    private RequestInput(IQueryCollection query, JsonNode? body)
    {
        _query = query;
        Body = body;
    }

    /// <summary>The parsed JSON body, if the request had one.</summary>
    public JsonNode? Body { get; }

    public JsonObject? BodyObject => Body as JsonObject;

    public static async Task<RequestInput> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        JsonNode? body = null;
        if (request.ContentLength is not 0 && request.Body is not null)
        {
            using var reader = new StreamReader(request.Body);
            var text = await reader.ReadToEndAsync(cancellationToken);
            if (!string.IsNullOrWhiteSpace(text))
            {
                if (request.ContentType is { } contentType && !contentType.Contains("json", StringComparison.OrdinalIgnoreCase))
                {
                    throw new UnsupportedMediaTypeException($"Send the body as application/json, not '{contentType}'.");
                }

                try
                {
                    body = JsonNode.Parse(text);
                }
                catch (JsonException e)
                {
                    throw new BadRequestException($"The request body is not valid JSON: {e.Message}");
                }
            }
        }

        return new RequestInput(request.Query, body);
    }

    /// <summary>Whether any of the names appears in the query or the body object.</summary>
    public bool Has(params string[] names) =>
        names.Any(n => _query.ContainsKey(n) || (BodyObject?.ContainsKey(n) ?? false));

    public string? GetString(params string[] names)
    {
        var (name, query, node) = Find(names);
        if (name is null)
        {
            return null;
        }

        if (query is not null)
        {
            return query;
        }

        return node switch
        {
            null => null,
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            _ => throw new BadRequestException($"'{name}' must be a string."),
        };
    }

    public string RequireString(params string[] names)
    {
        var value = GetString(names);
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new BadRequestException($"'{names[0]}' is required.");
        }

        return value.Trim();
    }

    public long? GetLong(params string[] names)
    {
        var (name, query, node) = Find(names);
        if (name is null)
        {
            return null;
        }

        if (query is not null)
        {
            return long.TryParse(query, NumberStyles.Integer, CultureInfo.InvariantCulture, out var q)
                ? q
                : throw new BadRequestException($"'{name}' must be an integer, got '{query}'.");
        }

        return node switch
        {
            null => null,
            JsonValue v when v.TryGetValue<long>(out var l) => l,
            JsonValue v when v.TryGetValue<double>(out var d) && d == Math.Floor(d) && Math.Abs(d) < 9e15 => (long)d,
            _ => throw new BadRequestException($"'{name}' must be an integer."),
        };
    }

    public long RequireLong(params string[] names) =>
        GetLong(names) ?? throw new BadRequestException($"'{names[0]}' is required.");

    /// <summary>A JSON object field of the body (or, for query forms, a JSON string in the query).</summary>
    public JsonObject? GetObject(params string[] names)
    {
        var (name, query, node) = Find(names);
        if (name is null)
        {
            return null;
        }

        if (query is not null)
        {
            try
            {
                node = JsonNode.Parse(query);
            }
            catch (JsonException)
            {
                throw new BadRequestException($"'{name}' must be a JSON object.");
            }
        }

        return node switch
        {
            null => null,
            JsonObject o => o,
            _ => throw new BadRequestException($"'{name}' must be a JSON object."),
        };
    }

    private (string? Name, string? Query, JsonNode? Node) Find(string[] names)
    {
        string? found = null;
        string? query = null;
        JsonNode? node = null;
        foreach (var name in names)
        {
            var inQuery = _query.TryGetValue(name, out var values);
            JsonNode? bodyValue = null;
            var inBody = BodyObject?.TryGetPropertyValue(name, out bodyValue) ?? false;
            if (!inQuery && !inBody)
            {
                continue;
            }

            if (found is not null || (inQuery && inBody))
            {
                throw new BadRequestException($"'{names[0]}' is given more than once.");
            }

            found = name;
            query = inQuery ? values.ToString() : null;
            node = bodyValue;
        }

        return (found, query, node);
    }

    /// <summary>The ETag the client requires (If-Match), or null when it sent none.</summary>
    public static ETag? IfMatch(HttpRequest request)
    {
        var header = request.Headers.IfMatch.ToString();
        return string.IsNullOrWhiteSpace(header) ? null : new ETag(header.Trim());
    }

    /// <summary>Parses an id from a route segment.</summary>
    public static long ParseId(string id, string name = "id") =>
        long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : throw new BadRequestException($"'{name}' must be a positive integer, got '{id}'.");
}

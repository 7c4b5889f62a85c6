using DashAI.Functions.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace DashAI.Functions.OpenApi;

/// <summary>
/// The API's own description: the OpenAPI document built from the functions, and an interactive page (Swagger UI,
/// bundled from npm into the build output under <c>docs/</c>, so nothing is fetched from elsewhere at run time).
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822", Justification = "Function methods are invoked on an instance the worker activates, like every other function class.")]
public sealed class OpenApiFunctions
{
    private static readonly Lazy<string> DocumentJson = new(() => OpenApiDocumentBuilder.ToJson(OpenApiDocumentBuilder.Build()));

    // The files the docs page loads; nothing else under docs/ is served.
    private static readonly Dictionary<string, string> Assets = new(StringComparer.Ordinal)
    {
        ["swagger-ui.css"] = "text/css; charset=utf-8",
        ["swagger-ui-bundle.js"] = "text/javascript; charset=utf-8",
        ["docs.js"] = "text/javascript; charset=utf-8",
    };

    [Function("OpenApiDocument")]
    [ApiOperation("The OpenAPI 3.1 document of this API", Response = typeof(System.Text.Json.Nodes.JsonObject))]
    public IResult Document(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "openapi.json")] HttpRequest request) =>
        TypedResults.Text(DocumentJson.Value, "application/json; charset=utf-8");

    [Function("ApiDocs")]
    [ApiOperation("An interactive page that lists every operation and can call them", Response = typeof(string), ResponseMediaType = "text/html")]
    public IResult Page(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "docs")] HttpRequest request)
    {
        // Absolute paths from this request's own path, so the page works with or without a trailing slash.
        var self = (request.PathBase + request.Path).Value?.TrimEnd('/') ?? "";
        if (!self.EndsWith("/docs", StringComparison.Ordinal))
        {
            // Called without the route's own path (in process): the host's route prefix.
            self = "/api/v1/docs";
        }

        var html = $$"""
            <!doctype html>
            <html lang="en">
            <head>
              <meta charset="utf-8">
              <title>DashAI Functions API</title>
              <link rel="stylesheet" href="{{self}}/swagger-ui.css">
            </head>
            <body>
              <div id="swagger-ui" data-openapi="{{self[..^"/docs".Length]}}/openapi.json"></div>
              <script src="{{self}}/swagger-ui-bundle.js"></script>
              <script src="{{self}}/docs.js"></script>
            </body>
            </html>
            """;
        return TypedResults.Text(html, "text/html; charset=utf-8");
    }

    [Function("ApiDocsAsset")]
    [ApiOperation("A file of the docs page (its script and style sheet)", Response = typeof(string), ResponseMediaType = "text/plain", Errors = [404])]
    public IResult Asset(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "docs/{file}")] HttpRequest request,
        string file)
    {
        if (!Assets.TryGetValue(file, out var contentType))
        {
            throw new NotFoundException($"The docs page has no file '{file}'.");
        }

        var path = Path.Combine(AppContext.BaseDirectory, "docs", file);
        if (!File.Exists(path))
        {
            throw new NotFoundException($"'{file}' is missing from the build output: run 'npm ci' and build again.");
        }

        return TypedResults.File(File.OpenRead(path), contentType);
    }
}

using System.Text.Json.Nodes;
using DashAI.Functions.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DashAI.Benchmarks;

/// <summary>Calls a function class in process with a real <see cref="HttpRequest"/> and renders its result, as the worker would.</summary>
internal static class InProcessHttp
{
    /// <summary>The app's services (the same AddDashAI as Program.cs) over the given storage.</summary>
    public static ServiceProvider Services(string connectionString)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = connectionString,
        }).Build();
        return new ServiceCollection().AddLogging(b => b.SetMinimumLevel(LogLevel.Warning)).AddDashAI(configuration).BuildServiceProvider();
    }

    public static async Task<(int Status, IHeaderDictionary Headers, JsonNode? Body)> InvokeAsync(
        IServiceProvider services, Func<HttpRequest, CancellationToken, Task<IResult>> function, string method,
        string? json = null, string? query = null, byte[]? bodyBytes = null, string? contentType = null)
    {
        var context = new DefaultHttpContext { RequestServices = services };
        context.Request.Method = method;
        if (query is not null)
        {
            context.Request.QueryString = new QueryString(query.StartsWith('?') ? query : "?" + query);
        }

        bodyBytes ??= json is null ? null : System.Text.Encoding.UTF8.GetBytes(json);
        if (bodyBytes is not null)
        {
            context.Request.Body = new MemoryStream(bodyBytes);
            context.Request.ContentLength = bodyBytes.Length;
            context.Request.ContentType = contentType ?? "application/json";
        }

        context.Response.Body = new MemoryStream();
        var result = await function(context.Request, CancellationToken.None);
        await result.ExecuteAsync(context);
        context.Response.Body.Position = 0;
        return (context.Response.StatusCode, context.Response.Headers, JsonNode.Parse(context.Response.Body));
    }
}

using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DashAI.Functions.Hosting;
using DashAI.Functions.Http;
using DashAI.Functions.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DashAI.Functions.Tests.Infrastructure;

/// <summary>
/// The app's services, built through the same <c>AddDashAI</c> as Program.cs, over the shared Azurite with a
/// storage name prefix of its own, so that each test sees only its own tables, containers and queues.
/// Function classes are created the way the worker creates them (activated from the container) and invoked with
/// real <see cref="HttpRequest"/> objects; exceptions become problem details through the same mapping as the
/// worker middleware.
/// </summary>
public sealed class TestApp : IAsyncDisposable
{
    private TestApp(ServiceProvider services, string prefix)
    {
        Services = services;
        Prefix = prefix;
    }

    public ServiceProvider Services { get; }

    public string Prefix { get; }

    public Stores Stores => Services.GetRequiredService<Stores>();

    public StorageContext Storage => Services.GetRequiredService<StorageContext>();

    public static TestApp Create(Action<IServiceCollection>? configure = null, IDictionary<string, string?>? settings = null)
    {
        var prefix = "t" + Guid.NewGuid().ToString("N")[..10];
        var values = new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = AzuriteServer.Instance.ConnectionString,
            [$"{StorageOptions.SectionName}:NamePrefix"] = prefix,
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging(b => b.AddProvider(TestLog.Provider));
        services.AddDashAI(configuration);
        configure?.Invoke(services);
        return new TestApp(services.BuildServiceProvider(validateScopes: true), prefix);
    }

    public T Function<T>() where T : class => ActivatorUtilities.CreateInstance<T>(Services);

    public HttpRequest Request(string method, string? query = null, object? json = null, string? body = null, string? contentType = null, IDictionary<string, string>? headers = null)
    {
        var context = new DefaultHttpContext { RequestServices = Services };
        context.Request.Method = method;
        if (query is not null)
        {
            context.Request.QueryString = new QueryString(query.StartsWith('?') ? query : "?" + query);
        }

        if (json is not null)
        {
            body = json is JsonNode node ? node.ToJsonString() : JsonSerializer.Serialize(json);
            contentType ??= "application/json";
        }

        if (body is not null)
        {
            var bytes = Encoding.UTF8.GetBytes(body);
            context.Request.Body = new MemoryStream(bytes);
            context.Request.ContentLength = bytes.Length;
            context.Request.ContentType = contentType ?? "application/json";
        }

        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            context.Request.Headers[name] = value;
        }

        context.Response.Body = new MemoryStream();
        return context.Request;
    }

    /// <summary>Invokes a function and renders its result (or its exception, as the middleware would) into a response.</summary>
    public async Task<TestResponse> Invoke(HttpRequest request, Func<HttpRequest, CancellationToken, Task<IResult>> function)
    {
        IResult result;
        try
        {
            result = await function(request, CancellationToken.None);
        }
        catch (Exception e)
        {
            result = ApiErrors.ToResult(e, Services.GetRequiredService<ILogger<ProblemDetailsMiddleware>>());
        }

        var context = request.HttpContext;
        await result.ExecuteAsync(context);
        context.Response.Body.Position = 0;
        var text = await new StreamReader(context.Response.Body).ReadToEndAsync();
        return new TestResponse(context.Response.StatusCode, context.Response.ContentType, context.Response.Headers, text, context.Response.Body);
    }

    /// <summary>The run's files (<c>container/name</c>): its model and its artifacts.</summary>
    public async Task<List<string>> RunBlobsAsync(long runId)
    {
        var names = new List<string>();
        foreach (var container in new[] { Storage.Names.ModelsContainer, Storage.Names.ArtifactsContainer })
        {
            await foreach (var blob in Storage.Container(container).GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, $"{runId}/", default))
            {
                names.Add($"{container}/{blob.Name}");
            }
        }

        return names;
    }

    public async ValueTask DisposeAsync() => await Services.DisposeAsync();
}

public sealed record TestResponse(int Status, string? ContentType, IHeaderDictionary Headers, string Body, Stream RawBody)
{
    public JsonNode Json => JsonNode.Parse(Body) ?? throw new InvalidOperationException("Empty body.");

    public string? ETag => Headers.ETag.FirstOrDefault();

    public long Id => Json["id"]!.GetValue<long>();

    public TestResponse AssertStatus(int expected)
    {
        Assert.True(Status == expected, $"Expected {expected}, got {Status}: {Body}");
        return this;
    }

    public TestResponse AssertProblem(int expected, string? detailContains = null)
    {
        AssertStatus(expected);
        Assert.Equal("application/problem+json", ContentType);
        Assert.Equal(expected, Json["status"]!.GetValue<int>());
        Assert.False(string.IsNullOrEmpty(Json["title"]?.GetValue<string>()));
        if (detailContains is not null)
        {
            Assert.Contains(detailContains, Json["detail"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
        }

        return this;
    }
}

using System.Text.Json;
using DashAI.Functions.LocalHost.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace DashAI.Functions.LocalHost;

/// <summary>
/// Serves HTTP functions the way the host does with the ASP.NET Core integration: match the request to a function
/// route, send the worker an InvocationRequest carrying the request data, and forward the raw request to the
/// worker's own HTTP endpoint with the invocation id header; the worker's HTTP response is streamed back.
/// </summary>
internal sealed class HttpTriggerProxy : IDisposable
{
    public const string InvocationIdHeader = "x-ms-invocation-id";

    private static readonly HashSet<string> HopByHopHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Transfer-Encoding", "TE", "Trailer", "Upgrade", "Proxy-Connection", "Host",
    };

    private static readonly TimeSpan ResponseGraceAfterFailure = TimeSpan.FromSeconds(5);

    // An empty response arrives once the function has finished, so its invocation result follows right away.
    private static readonly TimeSpan InvocationResultWait = TimeSpan.FromSeconds(30);

    private readonly FunctionsHostHarness _harness;
    private readonly Uri? _workerUri;
    private readonly ILogger _logger;
    private readonly HttpClient _client;

    public HttpTriggerProxy(FunctionsHostHarness harness, Uri? workerUri, ILoggerFactory loggerFactory)
    {
        _harness = harness;
        _workerUri = workerUri;
        _logger = loggerFactory.CreateLogger("DashAI.Functions.LocalHost.Http");
        _client = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    public void Dispose() => _client.Dispose();

    /// <summary>Maps one endpoint per HTTP function; returns the route templates.</summary>
    public IReadOnlyList<string> MapRoutes(WebApplication app, IReadOnlyList<FunctionDescriptor> functions, string routePrefix)
    {
        var routes = new List<string>();
        foreach (var function in functions)
        {
            var trigger = function.Trigger!;
            var route = (trigger.GetString("route") ?? function.Name).Trim('/');
            var template = string.IsNullOrEmpty(routePrefix) ? route : $"{routePrefix}/{route}";
            var methods = trigger.GetStrings("methods").Select(m => m.ToUpperInvariant()).ToList();
            RequestDelegate handler = context => HandleAsync(context, function);
            var endpoint = methods.Count > 0 ? app.MapMethods("/" + template, methods, handler) : app.Map("/" + template, handler);
            endpoint.WithDisplayName(function.Name);
            routes.Add(methods.Count > 0 ? $"{template}  [{string.Join(",", methods)}]" : template);
        }

        return routes;
    }

    private async Task HandleAsync(HttpContext context, FunctionDescriptor function)
    {
        var invocationId = Guid.NewGuid().ToString();
        var invocation = _harness.InvokeAsync(BuildInvocationRequest(context, function, invocationId), CancellationToken.None);

        using var forwardCancellation = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        var forward = ForwardAsync(context, invocationId, invocation, forwardCancellation.Token);

        var first = await Task.WhenAny(forward, invocation);
        if (first == invocation && !IsSuccess(invocation) && !forward.IsCompleted)
        {
            // A failed invocation may never complete the worker's HTTP response; the host answers 500 then.
            if (await Task.WhenAny(forward, Task.Delay(ResponseGraceAfterFailure)) != forward)
            {
                await forwardCancellation.CancelAsync();
            }
        }

        bool forwarded;
        try
        {
            forwarded = await forward;
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
        {
            _logger.LogWarning(ex, "Forwarding {Method} {Path} to the worker failed", context.Request.Method, context.Request.Path);
            forwarded = false;
        }

        try
        {
            var response = await invocation;
            if (response.Result.Status != StatusResult.Types.Status.Success)
            {
                _logger.LogWarning("Function {Function} failed (invocation {InvocationId}): {Message}", function.Name, invocationId, response.Result.Exception?.Message);
            }
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException or IOException or OperationCanceledException)
        {
            _logger.LogWarning(ex, "Invocation {InvocationId} of {Function} did not complete", invocationId, function.Name);
        }

        if (!forwarded && !context.Response.HasStarted)
        {
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
        }
    }

    private static bool IsSuccess(Task<InvocationResponse> invocation) =>
        invocation.IsCompletedSuccessfully && invocation.Result.Result.Status == StatusResult.Types.Status.Success;

    private static async Task<bool> InvocationSucceededAsync(Task<InvocationResponse> invocation)
    {
        try
        {
            var response = await invocation.WaitAsync(InvocationResultWait);
            return response.Result.Status == StatusResult.Types.Status.Success;
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException or IOException or OperationCanceledException)
        {
            return false;
        }
    }

    private async Task<bool> ForwardAsync(HttpContext context, string invocationId, Task<InvocationResponse> invocation, CancellationToken cancellationToken)
    {
        var request = context.Request;
        var target = new UriBuilder(_workerUri!)
        {
            Path = (request.PathBase + request.Path).ToUriComponent(),
            Query = request.QueryString.HasValue ? request.QueryString.Value!.TrimStart('?') : string.Empty,
        }.Uri;

        using var response = await SendWithConnectRetryAsync(context, target, invocationId, cancellationToken);
        if (response.Content.Headers.ContentLength == 0 && !await InvocationSucceededAsync(invocation))
        {
            // The worker answers an unhandled exception with an empty 200; the host's answer is a 500.
            return false;
        }

        context.Response.StatusCode = (int)response.StatusCode;
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            if (!HopByHopHeaders.Contains(name))
            {
                context.Response.Headers[name] = values.ToArray();
            }
        }

        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        await body.CopyToAsync(context.Response.Body, cancellationToken);
        return true;
    }

    // Like the host's proxy: a refused connection (the worker's server not accepting yet) is retried a few times;
    // nothing of the request body has been read then, so it can be sent again.
    private async Task<HttpResponseMessage> SendWithConnectRetryAsync(HttpContext context, Uri target, string invocationId, CancellationToken cancellationToken)
    {
        const int MaxAttempts = 5;
        for (var attempt = 1; ; attempt++)
        {
            // Not disposed: that would dispose its content, which wraps the client's request body.
            var message = BuildProxyRequest(context, target, invocationId);
            try
            {
                return await _client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            }
            catch (HttpRequestException ex) when (attempt < MaxAttempts && ex.InnerException is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused })
            {
                _logger.LogDebug("The worker refused the connection (attempt {Attempt}); retrying", attempt);
                await Task.Delay(100 * attempt, cancellationToken);
            }
        }
    }

    private static HttpRequestMessage BuildProxyRequest(HttpContext context, Uri target, string invocationId)
    {
        var request = context.Request;
        var message = new HttpRequestMessage(new HttpMethod(request.Method), target);
        var hasBody = request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0;
        if (hasBody)
        {
            message.Content = new StreamContent(request.Body);
        }

        foreach (var (name, values) in request.Headers)
        {
            if (HopByHopHeaders.Contains(name))
            {
                continue;
            }

            if (!message.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values) && message.Content is not null)
            {
                message.Content.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }

        message.Headers.TryAddWithoutValidation(InvocationIdHeader, invocationId);
        message.Headers.TryAddWithoutValidation("X-Forwarded-Host", request.Host.Value);
        message.Headers.TryAddWithoutValidation("X-Forwarded-Proto", request.Scheme);
        return message;
    }

    /// <summary>The invocation the host sends for an HTTP trigger: the request (without body) plus route, query and headers as trigger metadata.</summary>
    private static InvocationRequest BuildInvocationRequest(HttpContext context, FunctionDescriptor function, string invocationId)
    {
        var request = context.Request;
        var http = new RpcHttp { Method = request.Method, Url = request.GetDisplayUrl() };
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in request.Headers)
        {
            var value = values.ToString();
            headers[name] = value;
            http.Headers[name.ToLowerInvariant()] = value;
            http.NullableHeaders[name.ToLowerInvariant()] = new NullableString { Value = value };
        }

        var query = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in request.Query)
        {
            var value = values.ToString();
            query[name] = value;
            http.Query[name] = value;
            http.NullableQuery[name] = new NullableString { Value = value };
        }

        var invocation = new InvocationRequest { InvocationId = invocationId, FunctionId = function.FunctionId };
        foreach (var (name, value) in context.GetRouteData().Values)
        {
            if (value?.ToString() is { } text)
            {
                http.Params[name] = text;
                http.NullableParams[name] = new NullableString { Value = text };
                invocation.TriggerMetadata[name] = new TypedData { String = text };
            }
        }

        invocation.InputData.Add(new ParameterBinding { Name = function.Trigger!.Name, Data = new TypedData { Http = http } });
        invocation.TriggerMetadata["Query"] = new TypedData { Json = JsonSerializer.Serialize(query) };
        invocation.TriggerMetadata["Headers"] = new TypedData { Json = JsonSerializer.Serialize(headers) };
        return invocation;
    }
}

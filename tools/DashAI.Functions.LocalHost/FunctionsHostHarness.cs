using System.Diagnostics;
using System.Net;
using DashAI.Functions.LocalHost.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MsgType = DashAI.Functions.LocalHost.Protocol.StreamingMessage.ContentOneofCase;

namespace DashAI.Functions.LocalHost;

/// <summary>
/// A minimal Functions host for tests: runs the built dotnet-isolated worker as a child process, speaks the
/// host-worker gRPC protocol with it, serves its HTTP functions on a local port and pumps its queue triggers.
/// </summary>
public sealed class FunctionsHostHarness : IAsyncDisposable
{
    /// <summary>The version the harness reports to the worker as the host's.</summary>
    public const string HostVersion = "4.1000.0-harness";

    private static readonly TimeSpan ControlTimeout = TimeSpan.FromSeconds(60);

    private readonly HarnessOptions _options;
    private readonly ILogger _logger;
    private readonly WorkerChannel _channel;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<QueueTriggerListener> _queueListeners = [];
    private readonly List<QueueDelivery> _deliveries = [];
    private WebApplication? _grpcServer;
    private WebApplication? _httpServer;
    private HttpTriggerProxy? _httpProxy;
    private WorkerProcess? _worker;
    private int _stopped;

    private FunctionsHostHarness(HarnessOptions options)
    {
        _options = options;
        _logger = options.LoggerFactory.CreateLogger("DashAI.Functions.LocalHost");
        _channel = new WorkerChannel(options.LoggerFactory);
    }

    /// <summary>Base address of the app's HTTP functions, e.g. http://127.0.0.1:7071/.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>The worker's own HTTP endpoint (ASP.NET Core integration) that requests are proxied to.</summary>
    public Uri? WorkerHttpUri { get; private set; }

    public IReadOnlyList<FunctionDescriptor> Functions { get; private set; } = [];

    /// <summary>The worker's process id (e.g. for a test script's sweep of leftover processes).</summary>
    public int? WorkerProcessId => _worker?.Id;

    internal HostJsonSettings HostSettings { get; private set; } = new();

    internal string StorageConnectionString => _options.StorageConnectionString;

    internal IReadOnlyDictionary<string, string> Settings { get; private set; } = new Dictionary<string, string>();

    /// <summary>Every queue message the harness delivered (or moved to poison), in order: what tests assert retries on.</summary>
    public IReadOnlyList<QueueDelivery> QueueDeliveries
    {
        get
        {
            lock (_deliveries)
            {
                return [.. _deliveries];
            }
        }
    }

    internal void RecordDelivery(QueueDelivery delivery)
    {
        lock (_deliveries)
        {
            _deliveries.Add(delivery);
        }
    }

    /// <summary>The full URL of each HTTP function route, for printing.</summary>
    public IReadOnlyList<string> HttpRoutes { get; private set; } = [];

    public static async Task<FunctionsHostHarness> StartAsync(HarnessOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var harness = new FunctionsHostHarness(options);
        try
        {
            await harness.StartCoreAsync(cancellationToken);
            return harness;
        }
        catch
        {
            await harness.DisposeAsync();
            throw;
        }
    }

    /// <summary>An HttpClient for the app's HTTP functions.</summary>
    public HttpClient CreateClient() => new() { BaseAddress = BaseAddress, Timeout = TimeSpan.FromMinutes(2) };

    private async Task StartCoreAsync(CancellationToken cancellationToken)
    {
        using var startup = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
        startup.CancelAfter(_options.StartupTimeout);
        var (appDirectory, entryDll) = WorkerProcess.ResolveApp(_options.AppPath);
        if (!File.Exists(entryDll))
        {
            throw new FileNotFoundException($"The worker '{entryDll}' is not built.", entryDll);
        }

        HostSettings = HostJsonSettings.Load(_options.HostJsonPath ?? Path.Combine(appDirectory, "host.json"));

        var grpcUri = await StartGrpcServerAsync(startup.Token);
        var workerId = Guid.NewGuid().ToString();
        _channel.ExpectedWorkerId = workerId;

        var settings = new Dictionary<string, string>(_options.AppSettings, StringComparer.OrdinalIgnoreCase)
        {
            ["AzureWebJobsStorage"] = _options.StorageConnectionString,
            ["FUNCTIONS_WORKER_RUNTIME"] = "dotnet-isolated",
        };
        Settings = settings;
        var environment = new Dictionary<string, string>(settings, StringComparer.OrdinalIgnoreCase)
        {
            ["FUNCTIONS_APPLICATION_DIRECTORY"] = appDirectory,
            ["FUNCTIONS_WORKER_DIRECTORY"] = appDirectory,
            ["AzureWebJobsScriptRoot"] = appDirectory,
            ["AZURE_FUNCTIONS_ENVIRONMENT"] = settings.GetValueOrDefault("AZURE_FUNCTIONS_ENVIRONMENT", "Development"),
        };
        _worker = WorkerProcess.Start(appDirectory, entryDll, grpcUri, workerId, Guid.NewGuid().ToString(), environment, _options.LoggerFactory);
        _ = _worker.Exited.ContinueWith(_ => _channel.Fail(new InvalidOperationException("The worker process exited.")), TaskScheduler.Default);

        var stopwatch = Stopwatch.StartNew();
        await _channel.Started.WaitAsync(startup.Token);

        var init = new StreamingMessage
        {
            RequestId = Guid.NewGuid().ToString(),
            WorkerInitRequest = new WorkerInitRequest
            {
                HostVersion = HostVersion,
                FunctionAppDirectory = appDirectory,
                WorkerDirectory = appDirectory,
            },
        };
        var initResponse = (await _channel.RequestAsync(init, MsgType.WorkerInitResponse, init.RequestId, ControlTimeout, startup.Token)).WorkerInitResponse;
        EnsureSuccess(initResponse.Result, "Worker initialization");
        if (initResponse.Capabilities.TryGetValue("HttpUri", out var httpUri) && !string.IsNullOrEmpty(httpUri))
        {
            WorkerHttpUri = new Uri(httpUri);
        }

        _logger.LogDebug("Worker capabilities: {Capabilities}", string.Join(", ", initResponse.Capabilities.Select(c => $"{c.Key}={c.Value}")));

        var metadataRequest = new StreamingMessage
        {
            RequestId = Guid.NewGuid().ToString(),
            FunctionsMetadataRequest = new FunctionsMetadataRequest { FunctionAppDirectory = appDirectory },
        };
        var metadata = (await _channel.RequestAsync(metadataRequest, MsgType.FunctionMetadataResponse, metadataRequest.RequestId, ControlTimeout, startup.Token)).FunctionMetadataResponse;
        EnsureSuccess(metadata.Result, "Function indexing");
        if (metadata.UseDefaultMetadataIndexing)
        {
            throw new NotSupportedException("The worker asked for host indexing (functions.metadata); the harness only supports worker indexing.");
        }

        Functions = metadata.FunctionMetadataResults.Select(m => new FunctionDescriptor(m)).ToList();
        foreach (var function in Functions)
        {
            if (function.Metadata.Status is { } status && status.Status == StatusResult.Types.Status.Failure)
            {
                throw new InvalidOperationException($"The worker could not index {function.Name}: {status.Exception?.Message}");
            }
        }

        await Task.WhenAll(Functions.Select(f => LoadAsync(f, startup.Token)));
        _logger.LogInformation("Worker indexed and loaded {Count} functions in {Elapsed} ms: {Functions}",
            Functions.Count, stopwatch.ElapsedMilliseconds, string.Join(", ", Functions));

        var httpFunctions = Functions.Where(f => f.IsHttpTrigger).ToList();
        if (httpFunctions.Count > 0 && WorkerHttpUri is null)
        {
            throw new NotSupportedException("The app has HTTP functions but the worker did not report an HttpUri: the harness supports only the ASP.NET Core integration.");
        }

        if (WorkerHttpUri is not null)
        {
            // The worker reports HttpUri before its Kestrel listens; open our port only once it does.
            await WaitForWorkerHttpAsync(WorkerHttpUri, startup.Token);
        }

        await StartHttpServerAsync(httpFunctions, startup.Token);

        foreach (var function in Functions.Where(f => f.IsQueueTrigger))
        {
            var listener = new QueueTriggerListener(this, function, _options.MaxPollingIntervalCap, _options.LoggerFactory);
            listener.Start(_stopping.Token);
            _queueListeners.Add(listener);
        }

        foreach (var function in Functions.Where(f => !f.IsHttpTrigger && !f.IsQueueTrigger))
        {
            _logger.LogWarning("Function {Function} has a trigger the harness does not run ({Trigger})", function.Name, function.Trigger?.Type);
        }
    }

    private static async Task WaitForWorkerHttpAsync(Uri uri, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                using var client = new System.Net.Sockets.TcpClient();
                await client.ConnectAsync(uri.Host, uri.Port, cancellationToken);
                return;
            }
            catch (System.Net.Sockets.SocketException)
            {
                await Task.Delay(50, cancellationToken);
            }
        }
    }

    private async Task LoadAsync(FunctionDescriptor function, CancellationToken cancellationToken)
    {
        var request = new StreamingMessage { RequestId = Guid.NewGuid().ToString(), FunctionLoadRequest = function.ToLoadRequest() };
        var response = (await _channel.RequestAsync(request, MsgType.FunctionLoadResponse, function.FunctionId, ControlTimeout, cancellationToken)).FunctionLoadResponse;
        EnsureSuccess(response.Result, $"Loading {function.Name}");
    }

    /// <summary>Sends an invocation and waits for the worker's response (not for the HTTP response).</summary>
    internal async Task<InvocationResponse> InvokeAsync(InvocationRequest request, CancellationToken cancellationToken)
    {
        request.TraceContext ??= new RpcTraceContext
        {
            TraceParent = $"00-{ActivityTraceId.CreateRandom().ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01",
            TraceState = string.Empty,
        };
        var timeout = HostSettings.FunctionTimeout ?? TimeSpan.FromMinutes(30);
        var message = new StreamingMessage { InvocationRequest = request };
        var response = await _channel.RequestAsync(message, MsgType.InvocationResponse, request.InvocationId, timeout, cancellationToken);
        return response.InvocationResponse;
    }

    internal ILoggerFactory LoggerFactory => _options.LoggerFactory;

    private async Task<Uri> StartGrpcServerAsync(CancellationToken cancellationToken)
    {
        var builder = CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2);
        });
        builder.Services.AddSingleton(_channel);
        builder.Services.AddGrpc(grpc =>
        {
            grpc.MaxReceiveMessageSize = null;
            grpc.MaxSendMessageSize = null;
        });
        var app = builder.Build();
        app.MapGrpcService<FunctionRpcService>();
        await app.StartAsync(cancellationToken);
        _grpcServer = app;
        var address = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        var uri = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
        _logger.LogDebug("gRPC server for the worker on {Uri}", uri);
        return uri;
    }

    private async Task StartHttpServerAsync(IReadOnlyList<FunctionDescriptor> httpFunctions, CancellationToken cancellationToken)
    {
        var builder = CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Listen(IPAddress.Loopback, _options.HttpPort);
        });
        builder.Services.AddRouting();
        var app = builder.Build();
        var proxy = new HttpTriggerProxy(this, WorkerHttpUri, _options.LoggerFactory);
        _httpProxy = proxy;
        HttpRoutes = proxy.MapRoutes(app, httpFunctions, HostSettings.RoutePrefix);
        await app.StartAsync(cancellationToken);
        _httpServer = app;
        var address = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        BaseAddress = new Uri(new Uri(address), "/");
        HttpRoutes = HttpRoutes.Select(r => new Uri(BaseAddress, r).ToString()).ToList();
    }

    private WebApplicationBuilder CreateSlimBuilder()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(FunctionsHostHarness).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = "Production",
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new ForwardingLoggerProvider(_options.LoggerFactory));
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Grpc", LogLevel.Warning);

        // The harness decides when its servers stop; they must not each react to Ctrl+C/SIGTERM on their own.
        builder.Services.AddSingleton<Microsoft.Extensions.Hosting.IHostLifetime, ManualHostLifetime>();
        return builder;
    }

    private static void EnsureSuccess(StatusResult? result, string step)
    {
        if (result is null || result.Status != StatusResult.Types.Status.Success)
        {
            throw new InvalidOperationException($"{step} failed in the worker: {result?.Exception?.Message}{Environment.NewLine}{result?.Exception?.StackTrace}");
        }
    }

    /// <summary>Stops the queue listeners and the HTTP server, asks the worker to terminate, then kills it.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return;
        }

        await _stopping.CancelAsync();
        foreach (var listener in _queueListeners)
        {
            await listener.StopAsync();
        }

        if (_httpServer is not null)
        {
            await StopQuietlyAsync(_httpServer);
        }

        _httpProxy?.Dispose();

        if (_worker is not null)
        {
            try
            {
                if (!_worker.HasExited && _channel.Started.IsCompletedSuccessfully)
                {
                    await _channel.SendAsync(new StreamingMessage
                    {
                        WorkerTerminate = new WorkerTerminate { GracePeriod = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromSeconds(5)) },
                    });
                }
            }
            catch (Exception ex) when (ex is IOException or InvalidOperationException or System.Threading.Channels.ChannelClosedException)
            {
                _logger.LogDebug(ex, "Could not send WorkerTerminate");
            }

            await _worker.StopAsync(TimeSpan.FromSeconds(5));
            _worker.Dispose();
        }

        _channel.Complete();
        _channel.Fail(new ObjectDisposedException(nameof(FunctionsHostHarness)));
        if (_grpcServer is not null)
        {
            await StopQuietlyAsync(_grpcServer);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        finally
        {
            _worker?.Dispose();
            _stopping.Dispose();
        }
    }

    private async Task StopQuietlyAsync(WebApplication app)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await app.StopAsync(timeout.Token);
            await app.DisposeAsync();
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or IOException)
        {
            _logger.LogDebug(ex, "Stopping a harness server");
        }
    }
}

/// <summary>A host lifetime that ignores console signals: the harness stops its servers itself.</summary>
internal sealed class ManualHostLifetime : Microsoft.Extensions.Hosting.IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Sends the harness's internal servers' logs to the harness's logger factory.</summary>
internal sealed class ForwardingLoggerProvider(ILoggerFactory factory) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => factory.CreateLogger(categoryName);

    public void Dispose()
    {
    }
}

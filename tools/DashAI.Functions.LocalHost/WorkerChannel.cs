using System.Collections.Concurrent;
using System.Threading.Channels;
using DashAI.Functions.LocalHost.Protocol;
using Grpc.Core;
using GrpcRpcException = Grpc.Core.RpcException;
using Microsoft.Extensions.Logging;
using MsgType = DashAI.Functions.LocalHost.Protocol.StreamingMessage.ContentOneofCase;

namespace DashAI.Functions.LocalHost;

/// <summary>
/// The host end of the worker's EventStream: one bidirectional stream, messages written by a single
/// loop (gRPC stream writers are not thread-safe), replies matched to requests by kind and id.
/// </summary>
internal sealed class WorkerChannel
{
    private readonly Channel<StreamingMessage> _outbound = Channel.CreateUnbounded<StreamingMessage>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<string, TaskCompletionSource<StreamingMessage>> _pending = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource<StartStream> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ILogger _logger;
    private readonly ILoggerFactory _loggerFactory;
    private Exception? _fault;

    public WorkerChannel(ILoggerFactory loggerFactory)
    {
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger("DashAI.Functions.LocalHost.Channel");
    }

    public string ExpectedWorkerId { get; set; } = string.Empty;

    public Task<StartStream> Started => _started.Task;

    /// <summary>Runs for the lifetime of the worker's stream (called by the gRPC service).</summary>
    public async Task RunAsync(IAsyncStreamReader<StreamingMessage> requests, IServerStreamWriter<StreamingMessage> responses, CancellationToken cancellationToken)
    {
        if (!await requests.MoveNext(cancellationToken) || requests.Current.ContentCase != MsgType.StartStream)
        {
            throw new GrpcRpcException(new Status(StatusCode.FailedPrecondition, "The first message must be StartStream."));
        }

        var start = requests.Current.StartStream;
        if (!string.IsNullOrEmpty(ExpectedWorkerId) && start.WorkerId != ExpectedWorkerId)
        {
            throw new GrpcRpcException(new Status(StatusCode.PermissionDenied, $"Unknown worker id '{start.WorkerId}'."));
        }

        if (!_started.TrySetResult(start))
        {
            throw new GrpcRpcException(new Status(StatusCode.AlreadyExists, "The worker already has a stream."));
        }

        _logger.LogDebug("Worker {WorkerId} opened its event stream", start.WorkerId);
        var writer = WriteLoopAsync(responses, cancellationToken);
        try
        {
            while (await requests.MoveNext(cancellationToken))
            {
                Dispatch(requests.Current);
            }

            Fail(new IOException("The worker closed its event stream."));
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or GrpcRpcException)
        {
            Fail(new IOException("The worker's event stream ended.", ex));
        }

        _outbound.Writer.TryComplete();
        await writer;
    }

    public ValueTask SendAsync(StreamingMessage message) =>
        _fault is null ? _outbound.Writer.WriteAsync(message) : ValueTask.FromException(_fault);

    /// <summary>Sends a message and waits for the reply of the given kind carrying the given key.</summary>
    public async Task<StreamingMessage> RequestAsync(StreamingMessage message, MsgType replyType, string key, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var pendingKey = PendingKey(replyType, key);
        var reply = new TaskCompletionSource<StreamingMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_pending.TryAdd(pendingKey, reply))
        {
            throw new InvalidOperationException($"A {replyType} for '{key}' is already awaited.");
        }

        try
        {
            if (_fault is not null)
            {
                throw new InvalidOperationException("The worker channel has failed.", _fault);
            }

            await SendAsync(message);
            return await reply.Task.WaitAsync(timeout, cancellationToken);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"The worker did not answer {message.ContentCase} ('{key}') within {timeout}.", ex);
        }
        finally
        {
            _pending.TryRemove(pendingKey, out _);
        }
    }

    public void Fail(Exception exception)
    {
        _fault ??= exception;
        _started.TrySetException(exception);
        foreach (var (key, pending) in _pending)
        {
            if (_pending.TryRemove(key, out _))
            {
                pending.TrySetException(exception);
            }
        }
    }

    public void Complete() => _outbound.Writer.TryComplete();

    private async Task WriteLoopAsync(IServerStreamWriter<StreamingMessage> responses, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var message in _outbound.Reader.ReadAllAsync(cancellationToken))
            {
                await responses.WriteAsync(message, cancellationToken);
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException)
        {
            Fail(new IOException("Writing to the worker's event stream failed.", ex));
        }
    }

    private void Dispatch(StreamingMessage message)
    {
        switch (message.ContentCase)
        {
            case MsgType.RpcLog:
                ForwardLog(message.RpcLog);
                return;
            case MsgType.WorkerInitResponse:
            case MsgType.FunctionMetadataResponse:
            case MsgType.FunctionEnvironmentReloadResponse:
            case MsgType.WorkerStatusResponse:
                Complete(message, message.RequestId);
                return;
            case MsgType.FunctionLoadResponse:
                Complete(message, message.FunctionLoadResponse.FunctionId);
                return;
            case MsgType.FunctionLoadResponseCollection:
                foreach (var response in message.FunctionLoadResponseCollection.FunctionLoadResponses)
                {
                    Complete(new StreamingMessage { FunctionLoadResponse = response }, response.FunctionId);
                }

                return;
            case MsgType.InvocationResponse:
                Complete(message, message.InvocationResponse.InvocationId);
                return;
            default:
                _logger.LogDebug("Ignoring {MessageType} from the worker", message.ContentCase);
                return;
        }
    }

    private void Complete(StreamingMessage message, string key)
    {
        if (_pending.TryRemove(PendingKey(message.ContentCase, key), out var pending))
        {
            pending.TrySetResult(message);
        }
        else
        {
            _logger.LogWarning("Unexpected {MessageType} ('{Key}') from the worker", message.ContentCase, key);
        }
    }

    private void ForwardLog(RpcLog log)
    {
        var level = log.Level switch
        {
            RpcLog.Types.Level.Trace => LogLevel.Trace,
            RpcLog.Types.Level.Debug => LogLevel.Debug,
            RpcLog.Types.Level.Information => LogLevel.Information,
            RpcLog.Types.Level.Warning => LogLevel.Warning,
            RpcLog.Types.Level.Error => LogLevel.Error,
            RpcLog.Types.Level.Critical => LogLevel.Critical,
            _ => LogLevel.None,
        };
        if (level == LogLevel.None)
        {
            return;
        }

        var category = string.IsNullOrEmpty(log.Category) ? "Worker" : log.Category;
        var logger = _loggerFactory.CreateLogger($"Worker.{category}");
        if (log.Exception is { } exception && !string.IsNullOrEmpty(exception.Message))
        {
            logger.Log(level, "{Message} {ExceptionMessage}{NewLine}{StackTrace}", log.Message, exception.Message, Environment.NewLine, exception.StackTrace);
        }
        else
        {
            logger.Log(level, "{Message}", log.Message);
        }
    }

    private static string PendingKey(MsgType type, string key) => $"{type}:{key}";
}

/// <summary>The FunctionRpc service the worker connects to; it hands its one stream to the channel.</summary>
internal sealed class FunctionRpcService(WorkerChannel channel) : FunctionRpc.FunctionRpcBase
{
    public override Task EventStream(IAsyncStreamReader<StreamingMessage> requestStream, IServerStreamWriter<StreamingMessage> responseStream, ServerCallContext context) =>
        channel.RunAsync(requestStream, responseStream, context.CancellationToken);
}

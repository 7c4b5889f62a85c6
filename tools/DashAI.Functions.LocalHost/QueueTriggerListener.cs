using System.Text;
using System.Text.Json;
using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using DashAI.Functions.LocalHost.Protocol;
using Google.Protobuf;
using Microsoft.Extensions.Logging;

namespace DashAI.Functions.LocalHost;

/// <summary>
/// Runs one queue-triggered function with the host's queue semantics: receive a batch under a visibility lease,
/// decode the message (base64, the host's default), invoke, delete on success; on failure make it visible again
/// after host.json's visibilityTimeout, or move it to &lt;queue&gt;-poison once its dequeue count reaches maxDequeueCount.
/// </summary>
internal sealed class QueueTriggerListener
{
    private static readonly TimeSpan MinimumPollingInterval = TimeSpan.FromMilliseconds(100);

    // The host holds a received message invisible for this long (and renews it); functions here run well within it.
    private static readonly TimeSpan ReceiveLease = TimeSpan.FromMinutes(10);

    private readonly FunctionsHostHarness _harness;
    private readonly FunctionDescriptor _function;
    private readonly BindingDescriptor _trigger;
    private readonly HostJsonSettings _settings;
    private readonly TimeSpan _maxPollingInterval;
    private readonly ILogger _logger;
    private readonly QueueClient _queue;
    private readonly QueueClient _poisonQueue;
    private Task _loop = Task.CompletedTask;

    public QueueTriggerListener(FunctionsHostHarness harness, FunctionDescriptor function, TimeSpan? pollingCap, ILoggerFactory loggerFactory)
    {
        _harness = harness;
        _function = function;
        _trigger = function.Trigger!;
        _settings = harness.HostSettings;
        _maxPollingInterval = pollingCap is { } cap && cap < _settings.QueueMaxPollingInterval ? cap : _settings.QueueMaxPollingInterval;
        _logger = loggerFactory.CreateLogger("DashAI.Functions.LocalHost.Queues");

        var queueName = ResolveSettingExpression(_trigger.GetString("queueName")
            ?? throw new InvalidOperationException($"{function.Name}: queueTrigger without queueName")).ToLowerInvariant();
        var connection = ResolveConnection(_trigger.GetString("connection"));
        var options = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None };
        _queue = new QueueClient(connection, queueName, options);
        _poisonQueue = new QueueClient(connection, queueName + "-poison", options);
    }

    public string QueueName => _queue.Name;

    public void Start(CancellationToken stopping) => _loop = Task.Run(() => PollAsync(stopping), CancellationToken.None);

    public async Task StopAsync()
    {
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private async Task PollAsync(CancellationToken stopping)
    {
        _logger.LogInformation("Listening to queue {Queue} for {Function} (batch {Batch}, maxDequeueCount {MaxDequeue}, polling up to {Polling})",
            _queue.Name, _function.Name, _settings.QueueBatchSize, _settings.QueueMaxDequeueCount, _maxPollingInterval);
        var delay = MinimumPollingInterval;
        while (!stopping.IsCancellationRequested)
        {
            QueueMessage[] messages;
            try
            {
                messages = (await _queue.ReceiveMessagesAsync(_settings.QueueBatchSize, ReceiveLease, stopping)).Value;
            }
            catch (RequestFailedException ex) when (ex.Status == 404)
            {
                // Like the host: a missing queue is not an error, it just has no messages yet.
                messages = [];
            }
            catch (Exception ex) when (ex is RequestFailedException or AggregateException or HttpRequestException)
            {
                _logger.LogWarning(ex, "Receiving from {Queue} failed", _queue.Name);
                messages = [];
            }

            if (messages.Length == 0)
            {
                // Exponential back-off while the queue is empty, capped by maxPollingInterval, as the host does.
                await Task.Delay(delay, stopping);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, Math.Max(_maxPollingInterval.Ticks, MinimumPollingInterval.Ticks)));
                continue;
            }

            delay = MinimumPollingInterval;
            await Task.WhenAll(messages.Select(m => ProcessAsync(m, stopping)));
        }
    }

    private async Task ProcessAsync(QueueMessage message, CancellationToken stopping)
    {
        try
        {
            // A message that already used up its deliveries (e.g. its earlier attempt crashed) goes straight to poison.
            if (message.DequeueCount > _settings.QueueMaxDequeueCount)
            {
                await MoveToPoisonAsync(message, stopping);
                Record(message, message.MessageText, QueueDeliveryOutcome.Poisoned, "dequeue count above maxDequeueCount");
                return;
            }

            string text;
            try
            {
                text = _settings.QueueMessageEncodingIsBase64
                    ? Encoding.UTF8.GetString(Convert.FromBase64String(message.MessageText))
                    : message.MessageText;
            }
            catch (FormatException)
            {
                _logger.LogWarning("Message {MessageId} on {Queue} is not base64 (the host's encoding); moving it to poison", message.MessageId, _queue.Name);
                await MoveToPoisonAsync(message, stopping);
                Record(message, message.MessageText, QueueDeliveryOutcome.Poisoned, "not base64");
                return;
            }

            var response = await _harness.InvokeAsync(BuildInvocationRequest(message, text), stopping);
            if (response.Result.Status == StatusResult.Types.Status.Success)
            {
                await _queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, stopping);
                Record(message, text, QueueDeliveryOutcome.Succeeded, null);
                return;
            }

            var error = response.Result.Exception?.Message;

            _logger.LogWarning("{Function} failed on message {MessageId} (dequeue count {DequeueCount}): {Error}",
                _function.Name, message.MessageId, message.DequeueCount, response.Result.Exception?.Message);
            if (message.DequeueCount >= _settings.QueueMaxDequeueCount)
            {
                await MoveToPoisonAsync(message, stopping);
                Record(message, text, QueueDeliveryOutcome.FailedAndPoisoned, error);
            }
            else
            {
                await _queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: _settings.QueueVisibilityTimeout, cancellationToken: stopping);
                Record(message, text, QueueDeliveryOutcome.FailedAndReleased, error);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The lease runs out and the message comes back, as when a host instance stops.
        }
        catch (Exception ex) when (ex is RequestFailedException or TimeoutException or InvalidOperationException or IOException)
        {
            _logger.LogWarning(ex, "Processing message {MessageId} from {Queue} failed in the harness", message.MessageId, _queue.Name);
        }
    }

    private void Record(QueueMessage message, string text, QueueDeliveryOutcome outcome, string? error) =>
        _harness.RecordDelivery(new QueueDelivery(_function.Name, _queue.Name, message.MessageId, text, message.DequeueCount, outcome, error));

    private async Task MoveToPoisonAsync(QueueMessage message, CancellationToken stopping)
    {
        _logger.LogWarning("Moving message {MessageId} from {Queue} to {PoisonQueue} after {DequeueCount} deliveries",
            message.MessageId, _queue.Name, _poisonQueue.Name, message.DequeueCount);
        await _poisonQueue.CreateIfNotExistsAsync(cancellationToken: stopping);
        await _poisonQueue.SendMessageAsync(message.MessageText, stopping);
        await _queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, stopping);
    }

    private InvocationRequest BuildInvocationRequest(QueueMessage message, string text)
    {
        TypedData data;
        if (_trigger.SupportsDeferredBinding)
        {
            // QueueMessage / BinaryData / JsonElement parameters: the worker's converters read the message from model binding data.
            var content = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object?>
            {
                ["MessageId"] = message.MessageId,
                ["PopReceipt"] = message.PopReceipt,
                ["MessageText"] = text,
                ["DequeueCount"] = message.DequeueCount,
                ["NextVisibleOn"] = message.NextVisibleOn?.UtcDateTime,
                ["InsertedOn"] = message.InsertedOn?.UtcDateTime,
                ["ExpiresOn"] = message.ExpiresOn?.UtcDateTime,
            });
            data = new TypedData
            {
                ModelBindingData = new ModelBindingData
                {
                    Version = "1.0",
                    Source = "AzureStorageQueues",
                    ContentType = "application/json",
                    Content = ByteString.CopyFrom(content),
                },
            };
        }
        else if (string.Equals(_trigger.GetString("dataType"), "binary", StringComparison.OrdinalIgnoreCase))
        {
            data = new TypedData { Bytes = ByteString.CopyFromUtf8(text) };
        }
        else
        {
            data = new TypedData { String = text };
        }

        var request = new InvocationRequest { InvocationId = Guid.NewGuid().ToString(), FunctionId = _function.FunctionId };
        request.InputData.Add(new ParameterBinding { Name = _trigger.Name, Data = data });
        request.TriggerMetadata["QueueTrigger"] = new TypedData { String = text };
        // The host sends numbers and times as JSON; the worker does not read TypedData.Int.
        request.TriggerMetadata["DequeueCount"] = new TypedData { Json = message.DequeueCount.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        request.TriggerMetadata["Id"] = new TypedData { String = message.MessageId };
        request.TriggerMetadata["PopReceipt"] = new TypedData { String = message.PopReceipt };
        AddTime(request, "InsertionTime", message.InsertedOn);
        AddTime(request, "ExpirationTime", message.ExpiresOn);
        AddTime(request, "NextVisibleTime", message.NextVisibleOn);
        return request;
    }

    private static void AddTime(InvocationRequest request, string key, DateTimeOffset? value)
    {
        if (value is { } time)
        {
            request.TriggerMetadata[key] = new TypedData { Json = JsonSerializer.Serialize(time) };
        }
    }

    // %Name% in a binding expression is an app setting, as in the host.
    private string ResolveSettingExpression(string expression)
    {
        var builder = new StringBuilder();
        var parts = expression.Split('%');
        for (var i = 0; i < parts.Length; i++)
        {
            if (i % 2 == 1 && parts.Length > i + 1)
            {
                builder.Append(LookupSetting(parts[i]) ?? throw new InvalidOperationException($"App setting '{parts[i]}' used by {_function.Name} is not set."));
            }
            else
            {
                builder.Append(parts[i]);
            }
        }

        return builder.ToString();
    }

    private string ResolveConnection(string? connection)
    {
        if (string.IsNullOrEmpty(connection))
        {
            return _harness.StorageConnectionString;
        }

        return LookupSetting(connection) ?? LookupSetting("AzureWebJobs" + connection)
            ?? throw new InvalidOperationException($"Connection setting '{connection}' used by {_function.Name} is not set (identity-based connections are not supported by the harness).");
    }

    private string? LookupSetting(string name) =>
        _harness.Settings.TryGetValue(name, out var value) ? value : Environment.GetEnvironmentVariable(name);
}


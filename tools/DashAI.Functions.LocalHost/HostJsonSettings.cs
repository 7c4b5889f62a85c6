using System.Globalization;
using System.Text.Json;

namespace DashAI.Functions.LocalHost;

/// <summary>The host.json settings the harness honours, with the host's defaults.</summary>
internal sealed record HostJsonSettings
{
    public string RoutePrefix { get; init; } = "api";

    public int QueueBatchSize { get; init; } = 16;

    public int QueueNewBatchThreshold { get; init; } = -1;

    public int QueueMaxDequeueCount { get; init; } = 5;

    public TimeSpan QueueVisibilityTimeout { get; init; } = TimeSpan.Zero;

    public TimeSpan QueueMaxPollingInterval { get; init; } = TimeSpan.FromMinutes(1);

    public TimeSpan? FunctionTimeout { get; init; }

    /// <summary>extensions.queues.messageEncoding: "base64" (default) or "none".</summary>
    public bool QueueMessageEncodingIsBase64 { get; init; } = true;

    public static HostJsonSettings Load(string path)
    {
        if (!File.Exists(path))
        {
            return new HostJsonSettings();
        }

        using var document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions
        {
            CommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
        });
        var root = document.RootElement;
        var settings = new HostJsonSettings();

        if (TryGet(root, "functionTimeout", out var timeout) && TryParseTimeSpan(timeout, out var functionTimeout))
        {
            settings = settings with { FunctionTimeout = functionTimeout };
        }

        if (!TryGet(root, "extensions", out var extensions))
        {
            return settings;
        }

        if (TryGet(extensions, "http", out var http) && TryGet(http, "routePrefix", out var prefix) && prefix.ValueKind == JsonValueKind.String)
        {
            settings = settings with { RoutePrefix = prefix.GetString()!.Trim('/') };
        }

        if (TryGet(extensions, "queues", out var queues))
        {
            if (TryGet(queues, "batchSize", out var batchSize) && batchSize.TryGetInt32(out var batch))
            {
                settings = settings with { QueueBatchSize = Math.Clamp(batch, 1, 32) };
            }

            if (TryGet(queues, "newBatchThreshold", out var threshold) && threshold.TryGetInt32(out var newBatch))
            {
                settings = settings with { QueueNewBatchThreshold = newBatch };
            }

            if (TryGet(queues, "maxDequeueCount", out var maxDequeue) && maxDequeue.TryGetInt32(out var dequeue))
            {
                settings = settings with { QueueMaxDequeueCount = Math.Max(1, dequeue) };
            }

            if (TryGet(queues, "visibilityTimeout", out var visibility) && TryParseTimeSpan(visibility, out var visibilityTimeout))
            {
                settings = settings with { QueueVisibilityTimeout = visibilityTimeout };
            }

            if (TryGet(queues, "messageEncoding", out var encoding) && encoding.ValueKind == JsonValueKind.String)
            {
                settings = settings with { QueueMessageEncodingIsBase64 = !string.Equals(encoding.GetString(), "none", StringComparison.OrdinalIgnoreCase) };
            }

            if (TryGet(queues, "maxPollingInterval", out var polling) && TryParseTimeSpan(polling, out var pollingInterval))
            {
                settings = settings with { QueueMaxPollingInterval = pollingInterval };
            }
        }

        return settings;
    }

    // host.json keys are case-insensitive.
    private static bool TryGet(JsonElement element, string name, out JsonElement value)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in element.EnumerateObject())
            {
                if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
                {
                    value = property.Value;
                    return true;
                }
            }
        }

        value = default;
        return false;
    }

    // The host accepts "hh:mm:ss" strings and, for maxPollingInterval, milliseconds as a number.
    private static bool TryParseTimeSpan(JsonElement element, out TimeSpan value)
    {
        if (element.ValueKind == JsonValueKind.Number && element.TryGetDouble(out var milliseconds))
        {
            value = TimeSpan.FromMilliseconds(milliseconds);
            return true;
        }

        if (element.ValueKind == JsonValueKind.String && TimeSpan.TryParse(element.GetString(), CultureInfo.InvariantCulture, out value))
        {
            return true;
        }

        value = default;
        return false;
    }
}

using System.Text.Json;
using DashAI.Functions.LocalHost.Protocol;

namespace DashAI.Functions.LocalHost;

/// <summary>One function as the worker indexed it, with its raw bindings parsed.</summary>
public sealed class FunctionDescriptor
{
    internal FunctionDescriptor(RpcFunctionMetadata metadata)
    {
        Metadata = metadata;
        Bindings = metadata.RawBindings.Select(raw => new BindingDescriptor(raw)).ToList();
        Trigger = Bindings.FirstOrDefault(b => b.Type.EndsWith("Trigger", StringComparison.OrdinalIgnoreCase) && b.Direction == "in");
    }

    internal RpcFunctionMetadata Metadata { get; }

    public string Name => Metadata.Name;

    public string FunctionId => Metadata.FunctionId;

    public IReadOnlyList<BindingDescriptor> Bindings { get; }

    public BindingDescriptor? Trigger { get; }

    public bool IsHttpTrigger => string.Equals(Trigger?.Type, "httpTrigger", StringComparison.OrdinalIgnoreCase);

    public bool IsQueueTrigger => string.Equals(Trigger?.Type, "queueTrigger", StringComparison.OrdinalIgnoreCase);

    public override string ToString() => $"{Name} ({Trigger?.Type ?? "no trigger"})";

    /// <summary>The load request the host sends: the indexed metadata with BindingInfo built from the raw bindings.</summary>
    internal FunctionLoadRequest ToLoadRequest()
    {
        var metadata = Metadata.Clone();
        metadata.Bindings.Clear();
        foreach (var binding in Bindings)
        {
            metadata.Bindings[binding.Name] = binding.ToBindingInfo();
        }

        return new FunctionLoadRequest { FunctionId = FunctionId, Metadata = metadata };
    }
}

/// <summary>A binding from the function's metadata (the JSON the worker's generator wrote).</summary>
public sealed class BindingDescriptor
{
    internal BindingDescriptor(string rawJson)
    {
        RawJson = rawJson;
        using var document = JsonDocument.Parse(rawJson);
        Values = document.RootElement.EnumerateObject()
            .ToDictionary(p => p.Name, p => p.Value.Clone(), StringComparer.OrdinalIgnoreCase);
        Name = GetString("name") ?? throw new InvalidOperationException($"Binding without a name: {rawJson}");
        Type = GetString("type") ?? throw new InvalidOperationException($"Binding without a type: {rawJson}");
        Direction = (GetString("direction") ?? "in").ToLowerInvariant();
    }

    public string RawJson { get; }

    public string Name { get; }

    public string Type { get; }

    /// <summary>"in", "out" or "inout".</summary>
    public string Direction { get; }

    internal IReadOnlyDictionary<string, JsonElement> Values { get; }

    public string? GetString(string key) =>
        Values.TryGetValue(key, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public IReadOnlyList<string> GetStrings(string key) =>
        Values.TryGetValue(key, out var value) && value.ValueKind == JsonValueKind.Array
            ? value.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.String).Select(v => v.GetString()!).ToList()
            : [];

    /// <summary>The "properties" object of the binding (e.g. supportsDeferredBinding).</summary>
    public IReadOnlyDictionary<string, string> Properties =>
        Values.TryGetValue("properties", out var properties) && properties.ValueKind == JsonValueKind.Object
            ? properties.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ToString(), StringComparer.OrdinalIgnoreCase)
            : new Dictionary<string, string>();

    public bool SupportsDeferredBinding =>
        Properties.TryGetValue("supportsDeferredBinding", out var value) && bool.TryParse(value, out var supported) && supported;

    internal BindingInfo ToBindingInfo()
    {
        var info = new BindingInfo
        {
            Type = Type,
            Direction = Direction switch
            {
                "out" => BindingInfo.Types.Direction.Out,
                "inout" => BindingInfo.Types.Direction.Inout,
                _ => BindingInfo.Types.Direction.In,
            },
            DataType = (GetString("dataType") ?? string.Empty).ToLowerInvariant() switch
            {
                "string" => BindingInfo.Types.DataType.String,
                "binary" => BindingInfo.Types.DataType.Binary,
                "stream" => BindingInfo.Types.DataType.Stream,
                _ => BindingInfo.Types.DataType.Undefined,
            },
        };
        foreach (var (key, value) in Properties)
        {
            info.Properties[key] = value;
        }

        return info;
    }
}

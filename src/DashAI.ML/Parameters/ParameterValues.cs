using System.Globalization;
using System.Text.Json.Nodes;

namespace DashAI.ML.Parameters;

/// <summary>Typed reads from a validated, default-filled parameter object.</summary>
public sealed class ParameterValues(JsonObject values)
{
    public int GetInt32(string name) => checked((int)Number(name));

    public int? GetOptionalInt32(string name) => values[name] is null ? null : GetInt32(name);

    public double GetDouble(string name) => Number(name);

    public float GetSingle(string name) => (float)Number(name);

    public float? GetOptionalSingle(string name) => values[name] is null ? null : GetSingle(name);

    public bool GetBoolean(string name) => values[name]?.GetValue<bool>() ?? throw Missing(name);

    public string GetString(string name) => values[name]?.GetValue<string>() ?? throw Missing(name);

    private double Number(string name) =>
        values[name] is JsonNode node
            ? double.Parse(node.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture)
            : throw Missing(name);

    private static KeyNotFoundException Missing(string name) =>
        new($"Parameter '{name}' has no value; parameters must be validated and filled before training.");
}

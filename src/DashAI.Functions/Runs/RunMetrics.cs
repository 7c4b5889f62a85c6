using DashAI.Functions.Http;

namespace DashAI.Functions.Runs;

/// <summary>
/// A split's metrics (name → value; null where a metric is undefined, e.g. R² of a constant label) as the runs table
/// keeps them and the API shows them: one typed dictionary, written and read through the generated JSON context.
/// </summary>
public static class RunMetrics
{
    public static string Write(IReadOnlyDictionary<string, double?> metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        return System.Text.Json.JsonSerializer.Serialize(
            metrics as Dictionary<string, double?> ?? new Dictionary<string, double?>(metrics), ApiJsonContext.Default.DictionaryStringNullableDouble);
    }

    public static Dictionary<string, double?>? Read(string? json) =>
        string.IsNullOrEmpty(json) ? null : System.Text.Json.JsonSerializer.Deserialize(json, ApiJsonContext.Default.DictionaryStringNullableDouble);
}

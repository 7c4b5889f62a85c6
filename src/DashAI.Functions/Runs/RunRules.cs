using System.Text.Json.Nodes;

namespace DashAI.Functions.Runs;

/// <summary>Checks a run's model and parameters (filled in by the ML registry).</summary>
public static class RunRules
{
    public static JsonObject ValidateParameters(string modelName, string taskName, JsonObject? parameters)
    {
        ArgumentNullException.ThrowIfNull(modelName);
        ArgumentNullException.ThrowIfNull(taskName);
        return parameters ?? [];
    }
}

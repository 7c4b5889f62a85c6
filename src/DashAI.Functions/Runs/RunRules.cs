using System.Text.Json.Nodes;
using DashAI.ML.Components;

namespace DashAI.Functions.Runs;

/// <summary>Checks a run's model and parameters against the ML registry.</summary>
public static class RunRules
{
    /// <summary>
    /// The model must exist and fit the task; parameters must match the model's schema. Returns the parameters with
    /// every default filled in, which is what gets stored: a run records exactly what it trains with.
    /// </summary>
    public static JsonObject ValidateParameters(string modelName, string taskName, JsonObject? parameters) =>
        ComponentRegistry.ValidateAndFillDefaults(modelName.Trim(), taskName, parameters);
}

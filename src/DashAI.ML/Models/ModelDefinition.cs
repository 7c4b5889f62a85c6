using System.Text.Json.Nodes;
using DashAI.ML.Parameters;
using Microsoft.ML;

namespace DashAI.ML.Models;

/// <summary>What a trainer factory needs besides the parameters.</summary>
public sealed record TrainerSettings(string LabelColumn, string FeaturesColumn, int Seed);

/// <summary>
/// One ML.NET trainer, the JSON Schema of its main hyperparameters and the tasks it fits.
/// Classification trainers are always multiclass-shaped (a key label, a Score vector of class
/// probabilities) so two-class and many-class data share one code path.
/// </summary>
public sealed class ModelDefinition
{
    private readonly Func<MLContext, TrainerSettings, ParameterValues, IEstimator<ITransformer>> _createTrainer;
    private readonly JsonObject _parameterSchema;

    internal ModelDefinition(
        string name,
        string description,
        IReadOnlyList<string> compatibleTasks,
        bool needsNormalization,
        JsonObject parameterSchema,
        Func<MLContext, TrainerSettings, ParameterValues, IEstimator<ITransformer>> createTrainer)
    {
        Name = name;
        Description = description;
        CompatibleTasks = compatibleTasks;
        NeedsNormalization = needsNormalization;
        _parameterSchema = parameterSchema;
        _createTrainer = createTrainer;
    }

    public string Name { get; }

    public string Description { get; }

    public IReadOnlyList<string> CompatibleTasks { get; }

    /// <summary>Linear trainers want standardized numeric features; trees do not care.</summary>
    public bool NeedsNormalization { get; }

    /// <summary>A copy of the parameter schema (callers may mutate it).</summary>
    public JsonObject ParameterSchema => (JsonObject)_parameterSchema.DeepClone();

    public bool Fits(string taskName) => CompatibleTasks.Contains(taskName, StringComparer.Ordinal);

    /// <summary>Creates the trainer from validated, default-filled parameters.</summary>
    public IEstimator<ITransformer> CreateTrainer(MLContext mlContext, TrainerSettings settings, JsonObject parameters) =>
        _createTrainer(mlContext, settings, new ParameterValues(parameters));
}

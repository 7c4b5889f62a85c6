using System.Text.Json.Nodes;
using DashAI.ML.Parameters;
using DashAI.ML.Training;
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
    private readonly IReadOnlyDictionary<string, JsonObject> _taskDefaults;

    internal ModelDefinition(
        string name,
        string description,
        IReadOnlyList<string> compatibleTasks,
        bool needsNormalization,
        ModelFamily family,
        JsonObject parameterSchema,
        Func<MLContext, TrainerSettings, ParameterValues, IEstimator<ITransformer>> createTrainer,
        IReadOnlyDictionary<string, JsonObject>? taskDefaults = null)
    {
        Name = name;
        Description = description;
        CompatibleTasks = compatibleTasks;
        NeedsNormalization = needsNormalization;
        Family = family;
        _taskDefaults = taskDefaults ?? new Dictionary<string, JsonObject>();
        _parameterSchema = parameterSchema;
        _createTrainer = createTrainer;
        var properties = parameterSchema["properties"]!.AsObject();
        foreach (var (task, defaults) in _taskDefaults)
        {
            if (!compatibleTasks.Contains(task))
            {
                throw new ArgumentException($"Model '{name}' has defaults for task '{task}', which it does not fit.", nameof(taskDefaults));
            }

            foreach (var (parameter, value) in defaults)
            {
                var property = properties[parameter]?.AsObject()
                    ?? throw new ArgumentException($"Model '{name}' has a {task} default for unknown parameter '{parameter}'.", nameof(taskDefaults));
                property["description"] = $"{property["description"]} Default for {task}: {value?.ToJsonString() ?? "null"}.";
            }
        }
    }

    public string Name { get; }

    public string Description { get; }

    public IReadOnlyList<string> CompatibleTasks { get; }

    /// <summary>Linear trainers want standardized numbers and L2-normalized TF-IDF text; trees get raw values and counts.</summary>
    public bool NeedsNormalization { get; }

    /// <summary>How the trainer holds its data: decides the memory estimate of a run (see <see cref="Training.TrainingMemory"/>).</summary>
    public ModelFamily Family { get; }

    /// <summary>
    /// A copy of the parameter schema (callers may mutate it). Its defaults are those of tabular
    /// data; a parameter whose default differs for a task says so in its description.
    /// </summary>
    public JsonObject ParameterSchema => (JsonObject)_parameterSchema.DeepClone();

    /// <summary>
    /// The parameter schema with the defaults used on <paramref name="taskName"/>: text features
    /// (sparse, L2-normalized rows) want other regularization than standardized numbers.
    /// </summary>
    public JsonObject ParameterSchemaFor(string taskName)
    {
        var schema = ParameterSchema;
        if (_taskDefaults.TryGetValue(taskName, out var defaults))
        {
            var properties = schema["properties"]!.AsObject();
            foreach (var (parameter, value) in defaults)
            {
                properties[parameter]!["default"] = value?.DeepClone();
            }
        }

        return schema;
    }

    /// <summary>
    /// The parameter counting boosting rounds (null for models that are not boosted): a hyperparameter search
    /// stops unpromising trials early over rungs of it (see <see cref="Optimization.SuccessiveHalving"/>).
    /// </summary>
    public string? BoostingRoundsParameter { get; init; }

    public bool Fits(string taskName) => CompatibleTasks.Contains(taskName, StringComparer.Ordinal);

    /// <summary>Creates the trainer from validated, default-filled parameters.</summary>
    public IEstimator<ITransformer> CreateTrainer(MLContext mlContext, TrainerSettings settings, JsonObject parameters) =>
        _createTrainer(mlContext, settings, new ParameterValues(parameters));
}

using System.Text.Json.Nodes;
using DashAI.ML.Metrics;
using DashAI.ML.Parameters;
using DashAI.ML.Tasks;
using static DashAI.ML.Parameters.ParameterSchema;

namespace DashAI.ML.Optimization;

/// <summary>
/// The search settings of a tuned run, validated: which sampler, how many trials, the validation metric it
/// optimizes (and which way), the seed of the sampler and how many trials may be in flight at once.
/// </summary>
public sealed record OptimizerSettings(string Name, int Trials, string Metric, OptimizationDirection Direction, int Seed, int Parallelism)
{
    /// <summary>The JSON object a run stores (every field filled, snake_case as the API spells it).</summary>
    public JsonObject ToJson() => new()
    {
        ["name"] = Name,
        ["n_trials"] = Trials,
        ["metric"] = Metric,
        ["seed"] = Seed,
        ["parallelism"] = Parallelism,
    };

    /// <summary>The sampler this optimizer names.</summary>
    public IParameterSampler CreateSampler() => OptimizerCatalog.Find(Name)!.CreateSampler();
}

/// <summary>An optimizer of the registry: a sampler by name with the schema of the <c>optimizer</c> object.</summary>
public sealed record OptimizerDefinition(string Name, string Description, Func<IParameterSampler> CreateSampler)
{
    /// <summary>The JSON Schema of a run's <c>optimizer</c> object (its <c>name</c> is this optimizer's).</summary>
    public JsonObject ParameterSchema => OptimizerCatalog.Schema(Name);
}

/// <summary>The optimizers a tuned run may use and the validation of its <c>optimizer</c> object.</summary>
public static class OptimizerCatalog
{
    public const int MaximumTrials = 500;
    public const int DefaultParallelism = 4;
    public const int MaximumParallelism = 64;

    public static IReadOnlyList<OptimizerDefinition> All { get; } =
    [
        new("TPE",
            "Tree-structured Parzen estimator (as Optuna's default sampler): " + TpeSampler.StartupTrials.ToString(System.Globalization.CultureInfo.InvariantCulture) +
            " seeded random trials, then each trial tries the candidate most likely to be among the best trials so far.",
            () => new TpeSampler()),
        new("Random", "Random search: every trial draws each parameter uniformly (on a log scale where the parameter has one).", () => new RandomSampler()),
    ];

    /// <summary>The optimizer with this exact name, or null.</summary>
    public static OptimizerDefinition? Find(string name) => All.FirstOrDefault(o => o.Name == name);

    /// <summary>The main metric of a task, which a search optimizes when its optimizer names none: accuracy or R².</summary>
    public static string MainMetric(TaskKind kind) => kind == TaskKind.Regression ? "r2" : "accuracy";

    /// <summary>The JSON Schema of the <c>optimizer</c> object of a run.</summary>
    public static JsonObject Schema(string? name = null)
    {
        var schema = Object(
            Enum("name", name ?? "TPE", All.Select(o => o.Name).ToList(), "The sampler: TPE or Random."),
            Integer("n_trials", 30, 1, MaximumTrials, "How many trials the search runs (each fits the model on the training split and scores it on validation)."),
            ("metric", new JsonObject
            {
                ["type"] = new JsonArray("string", "null"),
                ["description"] = "The validation metric to optimize, one of the task's metrics; null is the task's main metric (accuracy for classification, r2 for regression).",
                ["default"] = null,
                ["enum"] = new JsonArray([.. MetricCatalog.All.Select(m => (JsonNode?)JsonValue.Create(m.Name)), null]),
            }),
            Integer("seed", 0, 0, int.MaxValue, "Seed of the sampler: the same seed, space and results propose the same trials."),
            Integer("parallelism", DefaultParallelism, 1, MaximumParallelism, "How many trials may train at the same time."));
        schema["required"] = new JsonArray("name");
        return schema;
    }

    /// <summary>
    /// Validates a run's <c>optimizer</c> object for a task and fills its defaults. Every problem is added to
    /// <paramref name="errors"/> (prefixed with "optimizer"); the result is null when there is any.
    /// </summary>
    public static OptimizerSettings? Validate(JsonObject optimizer, string taskName, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(errors);
        var before = errors.Count;
        if (!optimizer.ContainsKey("name"))
        {
            errors.Add($"optimizer: 'name' is required; one of {string.Join(", ", All.Select(o => o.Name))}.");
        }

        // The metric enum of the schema admits every metric and null; null reads as the task's main metric.
        var (filled, problems) = ParameterValidator.Validate(Schema(), optimizer, "optimizer");
        errors.AddRange(problems.Select(p => p.StartsWith("Unknown parameter", StringComparison.Ordinal) ? p : "optimizer: " + p));
        var task = TaskCatalog.Find(taskName);
        string? metricName = null;
        var direction = OptimizationDirection.Maximize;
        if (task is not null && filled["metric"] is JsonValue metricValue && metricValue.TryGetValue<string>(out var given))
        {
            var metric = MetricCatalog.Find(given);
            if (metric is not null && metric.Kind != task.Kind)
            {
                errors.Add($"optimizer: metric '{given}' is not a metric of {task.Name}; its metrics: {string.Join(", ", MetricCatalog.For(task.Kind).Select(m => m.Name))}.");
            }
            else if (metric is not null)
            {
                metricName = metric.Name;
                direction = metric.HigherIsBetter ? OptimizationDirection.Maximize : OptimizationDirection.Minimize;
            }
        }
        else if (task is not null && problems.Count == 0)
        {
            metricName = MainMetric(task.Kind);
        }

        if (errors.Count > before || metricName is null)
        {
            return null;
        }

        return new OptimizerSettings(
            filled["name"]!.GetValue<string>(),
            checked((int)filled["n_trials"]!.GetValue<long>()),
            metricName,
            direction,
            checked((int)filled["seed"]!.GetValue<long>()),
            checked((int)filled["parallelism"]!.GetValue<long>()));
    }
}

using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DashAI.ML.Data;
using DashAI.ML.Metrics;
using DashAI.ML.Parameters;
using DashAI.ML.Tasks;
using static DashAI.ML.Parameters.ParameterSchema;

namespace DashAI.ML.Explainers;

/// <summary>Whether an explainer describes the model as a whole or the predictions of given rows.</summary>
public enum ExplainerScope
{
    Global,
    Local,
}

/// <summary>An explainer: its name, what it shows, and the JSON Schema of its parameters for a task.</summary>
public sealed class ExplainerDefinition
{
    private readonly Func<MLTask?, JsonObject> _schemaFor;

    internal ExplainerDefinition(string name, ExplainerScope scope, string description, Func<MLTask?, JsonObject> schemaFor)
    {
        Name = name;
        Scope = scope;
        Description = description;
        _schemaFor = schemaFor;
        CompatibleTasks = [.. TaskCatalog.All.Select(t => t.Name)];
    }

    public string Name { get; }

    public ExplainerScope Scope { get; }

    public string Description { get; }

    /// <summary>Every task: an explainer works on any trained run.</summary>
    public IReadOnlyList<string> CompatibleTasks { get; }

    /// <summary>The schema without a task: a parameter whose default depends on the task says so and defaults to null.</summary>
    public JsonObject ParameterSchema => _schemaFor(null);

    /// <summary>The schema with the defaults and allowed values of <paramref name="taskName"/>.</summary>
    public JsonObject ParameterSchemaFor(string taskName) => _schemaFor(TaskCatalog.Find(taskName));
}

/// <summary>
/// The explainers DashAI runs on a trained run, and the validation of their parameters (the same JSON Schema
/// validates a request, fills its defaults and is listed by the component registry).
/// </summary>
public static class ExplainerCatalog
{
    public const string PermutationFeatureImportance = "PermutationFeatureImportance";
    public const string PartialDependence = "PartialDependence";
    public const string FeatureContributions = "FeatureContributions";

    /// <summary>The most rows a FeatureContributions request may explain.</summary>
    public const int MaxExplainedRows = 100;

    /// <summary>The most categories of one column a partial dependence plot shows (the most frequent ones).</summary>
    public const int MaxCategories = 50;

    private static readonly string[] Splits = [SplitNames.Validation, SplitNames.Test];

    public static IReadOnlyList<ExplainerDefinition> All { get; } =
    [
        new(
            PermutationFeatureImportance,
            ExplainerScope.Global,
            "How much the chosen metric worsens when one input column of a split is shuffled, for every column (the whole pipeline re-runs on the shuffled rows).",
            task => Object(
                SplitParameter(),
                Scoring(task),
                Integer("n_repeats", 5, 1, 100, "Shuffles per column; the result gives the mean and standard deviation over them."),
                Integer("max_samples", 10_000, 1, 1_000_000, "Rows drawn at random from the split (all when it has fewer); every shuffle permutes these rows."),
                Seed())),
        new(
            PartialDependence,
            ExplainerScope.Global,
            "The average prediction (for classification, of each class's probability) when one input column is set to each value of a grid, for the chosen columns.",
            task => Object(
                Array("features", null, Item(["string"]), 1, 10,
                    "Input columns to draw (numeric, integer, categorical or boolean); null: the 5 most important by a quick permutation importance (all of them when there are fewer).",
                    nullable: true, uniqueItems: true),
                Integer("grid_resolution", 20, 2, 100, "Grid points of a numeric column, evenly spaced between the percentiles (its distinct values when there are fewer)."),
                Array("percentiles", new JsonArray(0.05, 0.95), Item(["number"], 0, 1), 2, 2,
                    "Lower and upper percentile of a numeric column's values that bound its grid."),
                SplitParameter(),
                Integer("max_samples", 1_000, 1, 100_000, "Rows drawn at random from the split whose predictions are averaged at each grid value."),
                Seed())),
        new(
            FeatureContributions,
            ExplainerScope.Local,
            "For each given row: the prediction and how much each input column moved it (exact for linear models; sampling Shapley values otherwise).",
            task => WithRequired(
                Object(
                    Array("rows", null, Map(Item(["string", "number", "boolean", "null"])), 1, MaxExplainedRows,
                        "The rows to explain (up to 100), each an object of input column values; a column left out is missing."),
                    Integer("n_samples", 100, 1, 10_000, "Random column orders per row for sampling Shapley values (models without exact contributions)."),
                    Integer("background_rows", 100, 1, 1_000, "Rows drawn from the training split that stand for a column being absent (sampling Shapley values)."),
                    Seed()),
                "rows")),
    ];

    /// <summary>The explainer with this exact name, or null.</summary>
    public static ExplainerDefinition? Find(string name) => All.FirstOrDefault(e => e.Name == name);

    /// <summary>The metric an explainer scores with when none is given: accuracy for classification, R² for regression.</summary>
    public static string MainMetric(TaskKind kind) => kind == TaskKind.Classification ? "accuracy" : "r2";

    /// <summary>
    /// Validates an explainer's parameters for a run of <paramref name="taskName"/> on a dataset of
    /// <paramref name="schema"/> and returns them with every default filled (store this: it is what the
    /// explainer runs with). Throws one <see cref="InvalidInputException"/> listing every problem.
    /// </summary>
    public static JsonObject ValidateAndFillDefaults(string explainerName, string taskName, DatasetSchema schema, JsonObject? parameters)
    {
        ArgumentNullException.ThrowIfNull(schema);
        var explainer = Find(explainerName)
            ?? throw new InvalidInputException($"Unknown explainer '{explainerName}'; known explainers: {string.Join(", ", All.Select(e => e.Name))}.");
        var task = TaskCatalog.Find(taskName)
            ?? throw new InvalidInputException($"Unknown task '{taskName}'; known tasks: {string.Join(", ", TaskCatalog.All.Select(t => t.Name))}.");
        var (filled, errors) = ParameterValidator.Validate(explainer.ParameterSchemaFor(task.Name), parameters, $"explainer '{explainer.Name}'");
        var problems = new List<string>(errors);
        if (problems.Count == 0)
        {
            problems.AddRange(explainer.Name switch
            {
                PartialDependence => PartialDependenceProblems(filled, schema),
                FeatureContributions => RowProblems(filled, schema),
                _ => [],
            });
        }

        if (problems.Count > 0)
        {
            throw new InvalidInputException(problems);
        }

        return filled;
    }

    private static (string, JsonObject) SplitParameter() =>
        ParameterSchema.Enum("split", SplitNames.Test, Splits, "The split whose rows are used.");

    private static (string, JsonObject) Seed() =>
        Integer("seed", 0, 0, int.MaxValue, "Seed of every random draw: the same run, parameters and seed give the same result.");

    private static (string, JsonObject) Scoring(MLTask? task)
    {
        if (task is not null)
        {
            var metrics = MetricCatalog.For(task.Kind).Select(m => m.Name).ToList();
            return ParameterSchema.Enum("scoring", MainMetric(task.Kind), metrics, "The metric whose loss measures importance (the task's metrics).");
        }

        var all = new JsonArray([.. MetricCatalog.All.Select(m => (JsonNode)JsonValue.Create(m.Name)!)]);
        all.Add(null);
        return ("scoring", new JsonObject
        {
            ["type"] = new JsonArray("string", "null"),
            ["description"] = "The metric whose loss measures importance; null: the task's main metric (accuracy for classification, r2 for regression).",
            ["default"] = null,
            ["enum"] = all,
        });
    }

    private static JsonObject WithRequired(JsonObject schema, params string[] required)
    {
        schema["required"] = new JsonArray([.. required.Select(r => (JsonNode)JsonValue.Create(r)!)]);
        return schema;
    }

    private static IEnumerable<string> PartialDependenceProblems(JsonObject parameters, DatasetSchema schema)
    {
        var percentiles = parameters["percentiles"]!.AsArray().Select(p => p!.GetValue<double>()).ToList();
        if (percentiles[0] >= percentiles[1])
        {
            yield return $"Parameter 'percentiles' must hold a lower then a higher value, got [{string.Join(", ", percentiles.Select(p => p.ToString(CultureInfo.InvariantCulture)))}].";
        }

        if (parameters["features"] is JsonArray features)
        {
            foreach (var name in features.Select(f => f!.GetValue<string>()))
            {
                if (!schema.InputColumns.Contains(name, StringComparer.Ordinal))
                {
                    yield return UnknownColumn(name, schema, "features");
                }
                else if (schema[name].Type == ColumnType.Text)
                {
                    yield return $"Column '{name}' holds free text; partial dependence takes numeric, integer, categorical or boolean columns.";
                }
            }
        }
    }

    private static IEnumerable<string> RowProblems(JsonObject parameters, DatasetSchema schema)
    {
        var rows = parameters["rows"]!.AsArray();
        for (var i = 0; i < rows.Count; i++)
        {
            foreach (var (column, value) in rows[i]!.AsObject())
            {
                if (!schema.InputColumns.Contains(column, StringComparer.Ordinal))
                {
                    yield return UnknownColumn(column, schema, $"rows[{i}]");
                }
                else if (schema[column].Type is ColumnType.Integer or ColumnType.Float
                    && value is not null && value.GetValueKind() != JsonValueKind.Number)
                {
                    yield return $"Parameter 'rows[{i}].{column}' must be a number or null: column '{column}' is numeric.";
                }
            }
        }
    }

    private static string UnknownColumn(string name, DatasetSchema schema, string where)
    {
        var hint = StrictJson.DidYouMean(name, schema.InputColumns) is { } suggestion ? $"did you mean '{suggestion}'? " : "";
        return $"Unknown input column '{name}' in parameter '{where}'; {hint}input columns: {string.Join(", ", schema.InputColumns.Take(30))}.";
    }
}

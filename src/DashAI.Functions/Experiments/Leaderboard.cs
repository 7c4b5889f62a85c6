using System.Text.Json.Nodes;
using DashAI.Functions.Http;
using DashAI.Functions.OpenApi;
using DashAI.Functions.Runs;
using DashAI.ML;
using DashAI.ML.Data;
using DashAI.ML.Explainers;
using DashAI.ML.Metrics;
using DashAI.ML.Tasks;

namespace DashAI.Functions.Experiments;

/// <summary>One run on an experiment's leaderboard.</summary>
public sealed record LeaderboardEntryDto(
    int Rank,
    long RunId,
    string Name,
    string ModelName,
    JsonNode? Parameters,
    string Metric,
    [property: ApiDescription("The run's value of the metric on the split; null when it is undefined there (such runs come last).")] double? Value,
    [property: ApiDescription("Every metric of the run on the split.")] JsonNode? Metrics,
    [property: ApiDescription("Training time in seconds (start to end of the run's training).")] double? FitSeconds);

/// <summary>The query of <c>GET /experiment/{id}/leaderboard</c> and its plot.</summary>
public sealed record LeaderboardQuery(
    [property: ApiDescription("A metric of the experiment's task; default its main metric (accuracy for classification, r2 for regression).")] string? Metric,
    [property: ApiValues(typeof(SplitNames)), ApiDescription("train, validation or test; default validation.")] string? Split);

/// <summary>
/// Ranks an experiment's FINISHED runs by one metric of its task on one split: best first by the metric's direction,
/// equal values by shorter training, then by id; runs without the metric on that split (say roc_auc where a split
/// lacks a class) come last.
/// </summary>
public static class Leaderboard
{
    /// <summary>The metric and split to rank by; an unknown one is an <see cref="InvalidInputException"/> listing the valid ones.</summary>
    public static (MetricDefinition Metric, string Split) Choose(string taskName, string? metric, string? split)
    {
        var task = TaskCatalog.Find(taskName)
            ?? throw new InvalidInputException($"The experiment's task '{taskName}' is unknown.");
        var errors = new List<string>();
        var metrics = MetricCatalog.For(task.Kind).ToList();
        var chosenMetric = string.IsNullOrEmpty(metric) ? ExplainerCatalog.MainMetric(task.Kind) : metric;
        var definition = metrics.FirstOrDefault(m => m.Name == chosenMetric);
        if (definition is null)
        {
            errors.Add($"Unknown metric '{chosenMetric}' for {task.Name}; valid metrics: {string.Join(", ", metrics.Select(m => m.Name))}.");
        }

        var chosenSplit = string.IsNullOrEmpty(split) ? SplitNames.Validation : split;
        if (!SplitNames.All.Contains(chosenSplit, StringComparer.Ordinal))
        {
            errors.Add($"Unknown split '{chosenSplit}'; valid splits: {string.Join(", ", SplitNames.All)}.");
        }

        return errors.Count > 0 ? throw new InvalidInputException(errors) : (definition!, chosenSplit);
    }

    public static List<LeaderboardEntryDto> Rank(IEnumerable<RunEntity> runs, MetricDefinition metric, string split)
    {
        var scored = runs
            .Where(r => r.RunStatus == RunStatus.Finished)
            .Select(r =>
            {
                var metrics = JsonText.Parse(MetricsOf(r, split)) as JsonObject;
                var value = metrics?[metric.Name] is JsonValue v && v.TryGetValue<double>(out var number) ? number : (double?)null;
                var fit = r.StartTime is { } start && r.EndTime is { } end ? Math.Round((end - start).TotalSeconds, 3) : (double?)null;
                return (Run: r, Metrics: metrics, Value: value, Fit: fit);
            })
            .OrderBy(x => x.Value is null)
            .ThenBy(x => x.Value is { } v ? (metric.HigherIsBetter ? -v : v) : 0)
            .ThenBy(x => x.Fit ?? double.MaxValue)
            .ThenBy(x => x.Run.Id)
            .ToList();
        return
        [
            .. scored.Select((x, i) => new LeaderboardEntryDto(
                i + 1, x.Run.Id, x.Run.Name, x.Run.ModelName, JsonText.Parse(x.Run.Parameters), metric.Name, x.Value, x.Metrics, x.Fit)),
        ];
    }

    private static string? MetricsOf(RunEntity run, string split) => split switch
    {
        SplitNames.Train => run.TrainMetrics,
        SplitNames.Validation => run.ValidationMetrics,
        _ => run.TestMetrics,
    };
}

using System.Text.Json.Nodes;
using DashAI.ML.Metrics;
using DashAI.ML.Tasks;

namespace DashAI.ML.Explainers;

/// <summary>The importance of every input column, most important first.</summary>
internal sealed record ImportanceResult(
    string Split,
    string Scoring,
    bool HigherIsBetter,
    double BaselineScore,
    int Rows,
    int Repeats,
    IReadOnlyList<string> Features,
    IReadOnlyList<double> Mean,
    IReadOnlyList<double> Std)
{
    public JsonObject ToJson() => new()
    {
        ["features"] = new JsonArray([.. Features.Select(f => (JsonNode)JsonValue.Create(f)!)]),
        ["importances_mean"] = new JsonArray([.. Mean.Select(v => (JsonNode)JsonValue.Create(Explainer.Round(v)))]),
        ["importances_std"] = new JsonArray([.. Std.Select(v => (JsonNode)JsonValue.Create(Explainer.Round(v)))]),
        ["scoring"] = Scoring,
        ["split"] = Split,
        ["baseline_score"] = Explainer.Round(BaselineScore),
        ["rows"] = Rows,
        ["n_repeats"] = Repeats,
    };
}

/// <summary>
/// Permutation feature importance over the dataset's raw input columns: the saved pipeline scores rows of a
/// split as they are and with one column's values shuffled among the rows; a column's importance is how much
/// the metric worsens (baseline minus shuffled for a metric where higher is better, shuffled minus baseline
/// otherwise), averaged over the repeats. One seeded draw of at most <c>max_samples</c> rows serves the
/// baseline and every shuffle (scikit-learn draws a subset per column and scores the baseline on every row;
/// with all rows drawn the two agree).
/// </summary>
internal static class PermutationImportance
{
    public static ImportanceResult Compute(
        ExplainContext context,
        string path,
        string split,
        string scoring,
        int repeats,
        int maxSamples,
        int seed,
        IProgress<ExplainProgress>? progress,
        CancellationToken cancellationToken)
    {
        var metric = MetricCatalog.Find(scoring);
        if (metric is null || metric.Kind != context.Task.Kind)
        {
            throw new InvalidInputException(
                $"Metric '{scoring}' does not apply to {context.Task.Name}; its metrics: {string.Join(", ", MetricCatalog.For(context.Task.Kind).Select(m => m.Name))}.");
        }

        var table = context.Sample(path, maxSamples, seed, labelled: true, cancellationToken);
        return Compute(context, table, split, metric, repeats, seed, progress, cancellationToken);
    }

    public static ImportanceResult Compute(
        ExplainContext context,
        RowTable table,
        string split,
        MetricDefinition metric,
        int repeats,
        int seed,
        IProgress<ExplainProgress>? progress,
        CancellationToken cancellationToken)
    {
        var rows = table.Count;
        if (rows == 0)
        {
            throw new InvalidInputException($"The {split} split has no row with a value in output column '{context.OutputColumn}'.");
        }

        var columns = table.Columns.Count;
        var total = (long)rows * (1 + (columns * repeats));
        var scorer = context.Scorer;
        var startScored = scorer.RowsScored;
        void Report(long done) => progress?.Report(new ExplainProgress("scoring", done - startScored, total));

        var baseline = Evaluate(context, metric, table, scorer.Score(table, rows, (row, _) => (int)row, cancellationToken, Report), 0, split);
        var random = new Random(seed);
        var mean = new double[columns];
        var std = new double[columns];
        for (var column = 0; column < columns; column++)
        {
            var permutations = new int[repeats][];
            for (var k = 0; k < repeats; k++)
            {
                permutations[k] = Enumerable.Range(0, rows).ToArray();
                random.Shuffle(permutations[k]);
            }

            var shuffled = column;
            var scores = scorer.Score(
                table,
                (long)rows * repeats,
                (row, c) => c == shuffled ? permutations[row / rows][row % rows] : (int)(row % rows),
                cancellationToken,
                Report,
                mixing: [shuffled]);
            var losses = new double[repeats];
            for (var k = 0; k < repeats; k++)
            {
                var score = Evaluate(context, metric, table, scores, k, split);
                losses[k] = metric.HigherIsBetter ? baseline - score : score - baseline;
            }

            mean[column] = losses.Average();
            std[column] = Math.Sqrt(losses.Select(l => (l - mean[column]) * (l - mean[column])).Average());
        }

        // Most important first; equal importances keep the dataset's column order.
        var order = Enumerable.Range(0, columns).OrderByDescending(c => mean[c]).ThenBy(c => c).ToList();
        return new ImportanceResult(
            split,
            metric.Name,
            metric.HigherIsBetter,
            baseline,
            rows,
            repeats,
            [.. order.Select(c => table.Columns[c].Name)],
            [.. order.Select(c => mean[c])],
            [.. order.Select(c => std[c])]);
    }

    /// <summary>The metric of block <paramref name="block"/> of the scores (each block is every sampled row once).</summary>
    private static double Evaluate(ExplainContext context, MetricDefinition metric, RowTable table, float[] scores, int block, string split)
    {
        var rows = table.Count;
        var width = context.Scorer.Width;
        Dictionary<string, double> metrics;
        if (context.Task.Kind == TaskKind.Classification)
        {
            var actual = new int[rows];
            for (var i = 0; i < rows; i++)
            {
                actual[i] = (int)table.Labels[i];
            }

            metrics = MetricCalculator.Classification(actual, scores.AsSpan(block * rows * width, rows * width), width);
        }
        else
        {
            var actual = new double[rows];
            var predicted = new double[rows];
            for (var i = 0; i < rows; i++)
            {
                actual[i] = table.Labels[i];
                predicted[i] = scores[(block * rows) + i];
            }

            metrics = MetricCalculator.Regression(actual, predicted);
        }

        return metrics.TryGetValue(metric.Name, out var value)
            ? value
            : throw new InvalidInputException(
                $"Metric '{metric.Name}' is undefined on the {split} split's sampled rows ({(metric.BinaryOnly ? "it needs exactly two classes, both present" : "the output column is constant")}); choose another 'scoring'.");
    }
}

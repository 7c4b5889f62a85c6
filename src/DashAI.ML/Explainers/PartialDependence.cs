using System.Globalization;
using System.Text.Json.Nodes;
using DashAI.ML.Data;
using DashAI.ML.Metrics;

namespace DashAI.ML.Explainers;

/// <summary>One column's partial dependence: the grid and, per output, the average prediction at each grid value.</summary>
internal sealed record DependenceCurve(string Feature, bool Numeric, IReadOnlyList<double> NumericGrid, IReadOnlyList<string> CategoryGrid, double[][] Average)
{
    public int Points => Numeric ? NumericGrid.Count : CategoryGrid.Count;
}

internal sealed record DependenceResult(string Split, int Rows, bool Classification, IReadOnlyList<string> Outputs, IReadOnlyList<DependenceCurve> Curves)
{
    public JsonObject ToJson() => new()
    {
        ["features"] = new JsonArray([.. Curves.Select(c => (JsonNode)new JsonObject
        {
            ["feature"] = c.Feature,
            ["kind"] = c.Numeric ? "numeric" : "categorical",
            ["grid_values"] = c.Numeric
                ? new JsonArray([.. c.NumericGrid.Select(v => (JsonNode)JsonValue.Create(Explainer.Round(v)))])
                : new JsonArray([.. c.CategoryGrid.Select(v => (JsonNode)JsonValue.Create(v)!)]),
            ["average"] = new JsonArray([.. c.Average.Select(curve => (JsonNode)new JsonArray([.. curve.Select(v => (JsonNode)JsonValue.Create(Explainer.Round(v)))]))]),
        })]),
        ["outputs"] = new JsonArray([.. Outputs.Select(o => (JsonNode)JsonValue.Create(o)!)]),
        ["output_kind"] = Classification ? "probability" : "prediction",
        ["split"] = Split,
        ["rows"] = Rows,
    };
}

/// <summary>
/// Partial dependence as scikit-learn's "brute" method computes it: for each grid value of a column, that
/// column is set to the value in every sampled row, the saved pipeline scores the rows, and the predictions
/// (class probabilities for classification: one curve per class) are averaged. A numeric column's grid is
/// <c>grid_resolution</c> evenly spaced values between two percentiles of its values (its distinct values when
/// there are no more than that); a categorical or boolean column's grid is its values in the sample, the
/// <see cref="ExplainerCatalog.MaxCategories"/> most frequent.
/// </summary>
internal static class PartialDependence
{
    private const int DefaultFeatures = 5;

    public static DependenceResult Compute(
        ExplainContext context,
        string path,
        string split,
        IReadOnlyList<string>? features,
        int gridResolution,
        (double Low, double High) percentiles,
        int maxSamples,
        int seed,
        IProgress<ExplainProgress>? progress,
        CancellationToken cancellationToken)
    {
        var sample = context.Sample(path, maxSamples, seed, labelled: features is null, cancellationToken);
        if (sample.Count == 0)
        {
            throw new InvalidInputException($"The {split} split has no rows to average over.");
        }

        features ??= MostImportant(context, sample, split, seed, progress, cancellationToken);
        var columns = features.Select(f => sample.IndexOf(f)).ToList();
        var curves = columns.Select(c => Grid(sample, c, gridResolution, percentiles, context.Scorer.Width)).ToList();

        // The grid values become rows after the sample's: a virtual row takes its column's grid value from there.
        var gridRows = curves.Sum(c => c.Points);
        var grid = new RowTable(context.Schema, gridRows) { Count = gridRows };
        var offsets = new int[curves.Count];
        var next = 0;
        for (var f = 0; f < curves.Count; f++)
        {
            offsets[f] = sample.Count + next;
            for (var g = 0; g < curves[f].Points; g++, next++)
            {
                if (curves[f].Numeric)
                {
                    grid.Numbers(columns[f])[next] = (float)curves[f].NumericGrid[g];
                }
                else
                {
                    grid.Texts(columns[f])[next] = curves[f].CategoryGrid[g].AsMemory();
                }
            }
        }

        var table = RowTable.Concat(context.Schema, sample, grid);
        var rows = sample.Count;
        var width = context.Scorer.Width;
        var total = (long)rows * gridRows;
        var startScored = context.Scorer.RowsScored;
        for (var f = 0; f < curves.Count; f++)
        {
            var column = columns[f];
            var offset = offsets[f];
            var points = curves[f].Points;
            var scores = context.Scorer.Score(
                table,
                (long)rows * points,
                (row, c) => c == column ? offset + (int)(row / rows) : (int)(row % rows),
                cancellationToken,
                done => progress?.Report(new ExplainProgress("scoring", done - startScored, total)),
                mixing: [column]);
            for (var output = 0; output < width; output++)
            {
                for (var g = 0; g < points; g++)
                {
                    double sum = 0;
                    for (var r = 0; r < rows; r++)
                    {
                        sum += scores[((((long)g * rows) + r) * width) + output];
                    }

                    curves[f].Average[output][g] = sum / rows;
                }
            }
        }

        return new DependenceResult(split, rows, context.Classes is not null, context.Outputs, curves);
    }

    /// <summary>The default columns: the most important by one quick shuffle each with the task's main metric, text columns left out.</summary>
    private static List<string> MostImportant(ExplainContext context, RowTable sample, string split, int seed, IProgress<ExplainProgress>? progress, CancellationToken cancellationToken)
    {
        var metric = MetricCatalog.Find(ExplainerCatalog.MainMetric(context.Task.Kind))!;
        var importance = PermutationImportance.Compute(context, sample, split, metric, repeats: 1, seed, progress, cancellationToken);
        return [.. importance.Features.Where(f => context.Schema[f].Type != ColumnType.Text).Take(DefaultFeatures)];
    }

    private static DependenceCurve Grid(RowTable sample, int column, int resolution, (double Low, double High) percentiles, int outputs)
    {
        var name = sample.Columns[column].Name;
        if (sample.IsNumeric(column))
        {
            var values = sample.Numbers(column).Take(sample.Count).Where(v => !float.IsNaN(v)).Select(v => (double)v).Order().ToArray();
            if (values.Length == 0)
            {
                throw new InvalidInputException($"Column '{name}' has no value in the sampled rows; partial dependence needs some.");
            }

            var distinct = values.Distinct().ToArray();
            double[] grid;
            if (distinct.Length <= resolution)
            {
                grid = distinct;
            }
            else
            {
                var low = Percentile(values, percentiles.Low);
                var high = Percentile(values, percentiles.High);
                grid = low == high
                    ? [low]
                    : [.. Enumerable.Range(0, resolution).Select(i => low + ((high - low) * i / (resolution - 1)))];
            }

            return new DependenceCurve(name, true, grid, [], NewAverage(outputs, grid.Length));
        }

        var categories = sample.Texts(column).Take(sample.Count)
            .Select(v => v.ToString())
            .Where(v => !string.IsNullOrWhiteSpace(v))
            .GroupBy(v => v, StringComparer.Ordinal)
            .OrderByDescending(g => g.Count())
            .ThenBy(g => g.Key, StringComparer.Ordinal)
            .Take(ExplainerCatalog.MaxCategories)
            .Select(g => g.Key)
            .ToList();
        if (categories.Count == 0)
        {
            throw new InvalidInputException($"Column '{name}' has no value in the sampled rows; partial dependence needs some.");
        }

        return new DependenceCurve(name, false, [], categories, NewAverage(outputs, categories.Count));
    }

    private static double[][] NewAverage(int outputs, int points) => [.. Enumerable.Range(0, outputs).Select(_ => new double[points])];

    /// <summary>Linear interpolation between the closest ranks (numpy's default percentile).</summary>
    internal static double Percentile(double[] sorted, double fraction)
    {
        var position = fraction * (sorted.Length - 1);
        var below = (int)Math.Floor(position);
        var above = Math.Min(below + 1, sorted.Length - 1);
        return sorted[below] + ((sorted[above] - sorted[below]) * (position - below));
    }

    internal static string Label(double value) => value.ToString("G6", CultureInfo.InvariantCulture);
}

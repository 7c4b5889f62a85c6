using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DashAI.ML.Data;
using DashAI.ML.Tasks;
using DashAI.ML.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;

namespace DashAI.ML.Explainers;

/// <summary>How a row's contributions were computed.</summary>
internal enum ContributionMethod
{
    /// <summary>A linear model: each column's weights times its features; they add up to the raw score exactly.</summary>
    Linear,

    /// <summary>Any other model: sampling Shapley values (random column orders, a background row each).</summary>
    SamplingShapley,
}

/// <summary>One explained row: its prediction, the value explained, the base value and each column's contribution.</summary>
internal sealed record RowContributions(
    string Prediction,
    IReadOnlyList<double>? Probabilities,
    string Explained,
    double BaseValue,
    double OutputValue,
    IReadOnlyList<double> Contributions);

internal sealed record ContributionsResult(
    ContributionMethod Method, IReadOnlyList<string> Columns, IReadOnlyList<string> Classes, IReadOnlyList<RowContributions> Rows, int Samples)
{
    public JsonObject ToJson()
    {
        var rows = new JsonArray();
        foreach (var row in Rows)
        {
            var contributions = new JsonObject();
            for (var c = 0; c < Columns.Count; c++)
            {
                contributions[Columns[c]] = Explainer.Round(row.Contributions[c]);
            }

            var item = new JsonObject
            {
                ["prediction"] = row.Prediction,
                ["explained"] = row.Explained,
                ["base_value"] = Explainer.Round(row.BaseValue),
                ["output_value"] = Explainer.Round(row.OutputValue),
                ["contributions"] = contributions,
            };
            if (row.Probabilities is { } probabilities)
            {
                var byClass = new JsonObject();
                for (var k = 0; k < Classes.Count; k++)
                {
                    byClass[Classes[k]] = Explainer.Round(probabilities[k]);
                }

                item["probabilities"] = byClass;
            }

            rows.Add(item);
        }

        return new JsonObject
        {
            ["method"] = Method == ContributionMethod.Linear ? "linear" : "sampling_shapley",
            ["n_samples"] = Method == ContributionMethod.Linear ? null : Samples,
            ["columns"] = new JsonArray([.. Columns.Select(c => (JsonNode)JsonValue.Create(c)!)]),
            ["rows"] = rows,
        };
    }
}

/// <summary>
/// Local explanations: for each given row, how much each raw input column moved the prediction. In every case
/// <c>base_value + Σ contributions = output_value</c>.
/// <list type="bullet">
/// <item>Linear models (RidgeRegressor, SdcaRegressor, OnlineGradientDescentRegressor; LogisticRegression and
/// SdcaMaximumEntropy for the predicted class): the output is the raw score (the prediction, or the class's logit),
/// the base value the bias, and a column's contribution the sum of weight × feature value over the features it
/// becomes (standardized numbers, so a value at the training mean contributes 0; its one-hot slot; its n-grams).</item>
/// <item>Any other model (trees, one-versus-all): sampling Shapley values (Štrumbelj and Kononenko's method):
/// <c>n_samples</c> times, a random column order and a random background row from the training split; columns
/// switch from the background row's value to the explained row's value in that order, and each switch's change of the
/// output (the prediction, or the predicted class's probability) is that column's marginal contribution. The base value
/// is the mean output over the drawn background rows. Seeded: same row, model and seed, same values.</item>
/// </list>
/// </summary>
internal static class FeatureContributions
{
    public static ContributionsResult Compute(
        ExplainContext context,
        JsonArray rows,
        string trainPath,
        int samples,
        int backgroundRows,
        int seed,
        IProgress<ExplainProgress>? progress,
        CancellationToken cancellationToken)
    {
        var explained = ToTable(context.Schema, rows);
        var scores = context.Scorer.Score(explained, explained.Count, (row, _) => (int)row, cancellationToken);
        var columns = explained.Columns.Select(c => c.Name).ToList();
        var linear = LinearModel.Find(context.Model);
        if (linear is not null)
        {
            return new ContributionsResult(ContributionMethod.Linear, columns, context.Classes?.Labels ?? [], Linear(context, explained, scores, linear), 0);
        }

        var background = context.Sample(trainPath, backgroundRows, seed, labelled: false, cancellationToken);
        if (background.Count == 0)
        {
            throw new InvalidInputException("The training split has no rows to draw background rows from.");
        }

        return new ContributionsResult(
            ContributionMethod.SamplingShapley,
            columns,
            context.Classes?.Labels ?? [],
            Shapley(context, explained, background, scores, samples, seed, progress, cancellationToken),
            samples);
    }

    /// <summary>The request's rows as the model reads them (booleans as true/false, numbers as text in text columns).</summary>
    private static RowTable ToTable(DatasetSchema schema, JsonArray rows)
    {
        var table = new RowTable(schema, rows.Count) { Count = rows.Count };
        for (var r = 0; r < rows.Count; r++)
        {
            var values = rows[r]!.AsObject();
            for (var c = 0; c < table.Columns.Count; c++)
            {
                values.TryGetPropertyValue(table.Columns[c].Name, out var value);
                if (table.IsNumeric(c))
                {
                    table.Numbers(c)[r] = value is null ? float.NaN : (float)value.GetValue<double>();
                }
                else
                {
                    table.Texts(c)[r] = (value switch
                    {
                        null => "",
                        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
                        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>() ? "true" : "false",
                        _ => value.ToJsonString(),
                    }).AsMemory();
                }
            }
        }

        return table;
    }

    private static (string Prediction, IReadOnlyList<double>? Probabilities, int Class) Predicted(ExplainContext context, float[] scores, int row)
    {
        var width = context.Scorer.Width;
        if (context.Classes is null)
        {
            return (scores[row].ToString("R", CultureInfo.InvariantCulture), null, 0);
        }

        var probabilities = scores.AsSpan(row * width, width).ToArray();
        var best = Metrics.MetricCalculator.ArgMax(probabilities);
        return (context.Classes.Labels[best], [.. probabilities.Select(p => (double)p)], best);
    }

    private static List<RowContributions> Linear(ExplainContext context, RowTable explained, float[] scores, LinearModel linear)
    {
        var columnsOfSlots = linear.ColumnOfEachSlot(context, explained);
        var transformed = context.Model.Transform(new MixedRowsView(explained, 0, explained.Count, (row, _) => (int)row));
        var features = transformed.Schema[PipelineColumns.For(context.Schema).Features];
        using var cursor = transformed.GetRowCursor([features]);
        var getter = cursor.GetGetter<VBuffer<float>>(features);
        VBuffer<float> vector = default;
        var result = new List<RowContributions>();
        var row = 0;
        while (cursor.MoveNext())
        {
            getter(ref vector);
            var (prediction, probabilities, predictedClass) = Predicted(context, scores, row);
            var weights = linear.Weights[predictedClass];
            var contributions = new double[explained.Columns.Count];
            var indices = vector.GetIndices();
            var values = vector.GetValues();
            for (var i = 0; i < values.Length; i++)
            {
                var slot = vector.IsDense ? i : indices[i];
                contributions[columnsOfSlots[slot]] += weights[slot] * (double)values[i];
            }

            var bias = linear.Biases[predictedClass];
            var explainedValue = context.Classes is null ? "prediction" : $"raw score (logit) of class '{prediction}'";
            result.Add(new RowContributions(prediction, probabilities, explainedValue, bias, bias + contributions.Sum(), contributions));
            row++;
        }

        return result;
    }

    private static List<RowContributions> Shapley(
        ExplainContext context, RowTable explained, RowTable background, float[] scores, int samples, int seed, IProgress<ExplainProgress>? progress, CancellationToken cancellationToken)
    {
        var table = RowTable.Concat(context.Schema, explained, background);
        var columns = table.Columns.Count;
        var steps = columns + 1;
        var random = new Random(seed);
        var rows = explained.Count;
        // For every (row, sample): where each column comes in the random order, and the background row drawn.
        var position = new int[rows * samples][];
        var backgroundRow = new int[rows * samples];
        for (var i = 0; i < position.Length; i++)
        {
            var order = Enumerable.Range(0, columns).ToArray();
            random.Shuffle(order);
            position[i] = new int[columns];
            for (var p = 0; p < columns; p++)
            {
                position[i][order[p]] = p;
            }

            backgroundRow[i] = rows + random.Next(background.Count);
        }

        // Virtual row (row, sample, step): the first `step` columns of the order from the explained row, the rest from the background row.
        var total = (long)rows * samples * steps;
        var startScored = context.Scorer.RowsScored;
        var chained = context.Scorer.Score(
            table,
            total,
            (row, c) =>
            {
                var draw = (int)(row / steps);
                var step = (int)(row % steps);
                return position[draw][c] < step ? draw / samples : backgroundRow[draw];
            },
            cancellationToken,
            done => progress?.Report(new ExplainProgress("scoring", done - startScored, total)));

        var width = context.Scorer.Width;
        var result = new List<RowContributions>();
        for (var r = 0; r < rows; r++)
        {
            var (prediction, probabilities, predictedClass) = Predicted(context, scores, r);
            var contributions = new double[columns];
            double baseValue = 0;
            for (var s = 0; s < samples; s++)
            {
                var draw = (r * samples) + s;
                double Output(int step) => chained[((((long)draw * steps) + step) * width) + predictedClass];
                baseValue += Output(0);
                for (var c = 0; c < columns; c++)
                {
                    var step = position[draw][c] + 1;
                    contributions[c] += Output(step) - Output(step - 1);
                }
            }

            for (var c = 0; c < columns; c++)
            {
                contributions[c] /= samples;
            }

            baseValue /= samples;
            var output = context.Classes is null ? scores[r] : probabilities![predictedClass];
            var explainedValue = context.Classes is null ? "prediction" : $"probability of class '{prediction}'";
            result.Add(new RowContributions(prediction, probabilities, explainedValue, baseValue, output, contributions));
        }

        return result;
    }
}

/// <summary>The weights and biases of a saved linear model (one row per class for maximum entropy; one for regression).</summary>
internal sealed class LinearModel
{
    private LinearModel(float[][] weights, float[] biases)
    {
        Weights = weights;
        Biases = biases;
    }

    public float[][] Weights { get; }

    public float[] Biases { get; }

    /// <summary>The linear predictor of a saved model, or null when its predictor is not linear (or one-versus-all).</summary>
    public static LinearModel? Find(ITransformer model)
    {
        foreach (var transformer in Flatten(model))
        {
            if (transformer is not ISingleFeaturePredictionTransformer<object> predictor)
            {
                continue;
            }

            switch (predictor.Model)
            {
                case LinearRegressionModelParameters regression:
                    return new LinearModel([[.. regression.Weights]], [regression.Bias]);
                case MaximumEntropyModelParameters maximumEntropy:
                {
                    VBuffer<float>[] weights = [];
                    maximumEntropy.GetWeights(ref weights, out var classes);
                    var dense = weights.Take(classes).Select(w => w.DenseValues().ToArray()).ToArray();
                    return new LinearModel(dense, [.. maximumEntropy.GetBiases().Take(classes)]);
                }

                default:
                    return null;
            }
        }

        return null;
    }

    /// <summary>Which raw input column each slot of the feature vector comes from (see <see cref="FeatureSpace.ColumnOfEachSlot"/>).</summary>
    public int[] ColumnOfEachSlot(ExplainContext context, RowTable table)
    {
        var schema = context.Model.GetOutputSchema(new MixedRowsView(table, 0, 0, (_, _) => 0).Schema);
        var slots = FeatureSpace.ColumnOfEachSlot(context.Schema, schema);
        if (slots is null || Weights.Any(w => w.Length != slots.Length))
        {
            throw new InvalidOperationException(
                $"The feature vector has {slots?.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "another layout of"} slots and the weights {Weights[0].Length}: the pipeline's layout changed.");
        }

        return slots;
    }

    private static IEnumerable<ITransformer> Flatten(ITransformer transformer) =>
        transformer is IEnumerable<ITransformer> chain ? chain.SelectMany(Flatten) : [transformer];
}

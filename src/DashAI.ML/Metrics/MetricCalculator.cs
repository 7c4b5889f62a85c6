using System.Text.Json.Nodes;

namespace DashAI.ML.Metrics;

/// <summary>Computes the metrics of <see cref="MetricCatalog"/> from predictions, as scikit-learn defines them.</summary>
public static class MetricCalculator
{
    /// <summary>
    /// Classification metrics. <paramref name="actual"/> holds class indices (0-based) and
    /// <paramref name="probabilities"/> one probability per class for each row. roc_auc is only
    /// present for two classes when both appear in <paramref name="actual"/>.
    /// </summary>
    public static Dictionary<string, double> Classification(IReadOnlyList<int> actual, IReadOnlyList<float[]> probabilities, int classCount)
    {
        ArgumentNullException.ThrowIfNull(actual);
        ArgumentNullException.ThrowIfNull(probabilities);
        return Classification([.. actual], Flatten(probabilities, classCount), classCount);
    }

    /// <summary>
    /// Classification metrics from compact arrays: <paramref name="probabilities"/> holds
    /// <paramref name="classCount"/> values per row, row after row.
    /// </summary>
    public static Dictionary<string, double> Classification(ReadOnlySpan<int> actual, ReadOnlySpan<float> probabilities, int classCount)
    {
        var confusion = ConfusionMatrix(actual, probabilities, classCount);
        var n = actual.Length;
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        if (n == 0)
        {
            return metrics;
        }

        double correct = 0, logLoss = 0;
        for (var i = 0; i < n; i++)
        {
            var row = probabilities.Slice(i * classCount, classCount);
            if (ArgMax(row) == actual[i])
            {
                correct++;
            }

            logLoss -= Math.Log(Math.Clamp(row[actual[i]], 1e-15, 1 - 1e-15));
        }

        var support = new long[classCount];
        var predicted = new long[classCount];
        for (var t = 0; t < classCount; t++)
        {
            for (var p = 0; p < classCount; p++)
            {
                support[t] += confusion[t][p];
                predicted[p] += confusion[t][p];
            }
        }

        // Like scikit-learn, macro averages run over the labels present in the truth or the predictions,
        // and an undefined precision (nothing predicted) counts as 0.
        var present = Enumerable.Range(0, classCount).Where(c => support[c] > 0 || predicted[c] > 0).ToList();
        double precisionSum = 0, recallSum = 0, f1Sum = 0, f1Weighted = 0, recallPresentSum = 0;
        var truthClasses = 0;
        foreach (var c in present)
        {
            var tp = (double)confusion[c][c];
            var precision = predicted[c] == 0 ? 0 : tp / predicted[c];
            var recall = support[c] == 0 ? 0 : tp / support[c];
            var f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            precisionSum += precision;
            recallSum += recall;
            f1Sum += f1;
            f1Weighted += f1 * support[c];
            if (support[c] > 0)
            {
                recallPresentSum += recall;
                truthClasses++;
            }
        }

        metrics["accuracy"] = correct / n;
        metrics["balanced_accuracy"] = recallPresentSum / truthClasses;
        metrics["precision_macro"] = precisionSum / present.Count;
        metrics["recall_macro"] = recallSum / present.Count;
        metrics["f1_macro"] = f1Sum / present.Count;
        metrics["f1_weighted"] = f1Weighted / n;
        metrics["log_loss"] = logLoss / n;
        if (classCount == 2 && support[0] > 0 && support[1] > 0)
        {
            metrics["roc_auc"] = RocAuc(actual, probabilities);
        }

        return metrics;
    }

    /// <summary>Regression metrics; r2 is absent when the truth is constant.</summary>
    public static Dictionary<string, double> Regression(IReadOnlyList<double> actual, IReadOnlyList<double> predicted)
    {
        ArgumentNullException.ThrowIfNull(actual);
        ArgumentNullException.ThrowIfNull(predicted);
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        var n = actual.Count;
        if (n == 0)
        {
            return metrics;
        }

        var mean = actual.Average();
        double squared = 0, absolute = 0, total = 0;
        for (var i = 0; i < n; i++)
        {
            var error = actual[i] - predicted[i];
            squared += error * error;
            absolute += Math.Abs(error);
            total += (actual[i] - mean) * (actual[i] - mean);
        }

        metrics["mse"] = squared / n;
        metrics["rmse"] = Math.Sqrt(squared / n);
        metrics["mae"] = absolute / n;
        if (total > 0)
        {
            metrics["r2"] = 1 - (squared / total);
        }

        return metrics;
    }

    /// <summary>Rows are the true class, columns the predicted class.</summary>
    public static long[][] ConfusionMatrix(IReadOnlyList<int> actual, IReadOnlyList<float[]> probabilities, int classCount)
    {
        ArgumentNullException.ThrowIfNull(actual);
        ArgumentNullException.ThrowIfNull(probabilities);
        return ConfusionMatrix([.. actual], Flatten(probabilities, classCount), classCount);
    }

    /// <summary>Rows are the true class, columns the predicted class; probabilities as in the compact <see cref="Classification(ReadOnlySpan{int}, ReadOnlySpan{float}, int)"/>.</summary>
    public static long[][] ConfusionMatrix(ReadOnlySpan<int> actual, ReadOnlySpan<float> probabilities, int classCount)
    {
        var matrix = Enumerable.Range(0, classCount).Select(_ => new long[classCount]).ToArray();
        for (var i = 0; i < actual.Length; i++)
        {
            matrix[actual[i]][ArgMax(probabilities.Slice(i * classCount, classCount))]++;
        }

        return matrix;
    }

    internal static JsonArray ToJson(long[][] matrix) =>
        [.. matrix.Select(row => (JsonNode)new JsonArray([.. row.Select(v => (JsonNode)JsonValue.Create(v))]))];

    /// <summary>The first index of the largest value, as ML.NET picks PredictedLabel.</summary>
    public static int ArgMax(float[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return ArgMax(values.AsSpan());
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }

    private static float[] Flatten(IReadOnlyList<float[]> probabilities, int classCount)
    {
        var flat = new float[probabilities.Count * classCount];
        for (var i = 0; i < probabilities.Count; i++)
        {
            probabilities[i].AsSpan(0, classCount).CopyTo(flat.AsSpan(i * classCount));
        }

        return flat;
    }

    // Mann-Whitney U with average ranks for ties, the same value as sklearn's trapezoidal AUC.
    private static double RocAuc(ReadOnlySpan<int> actual, ReadOnlySpan<float> probabilities)
    {
        var n = actual.Length;
        var positiveScores = new float[n];
        var order = new int[n];
        for (var i = 0; i < n; i++)
        {
            positiveScores[i] = probabilities[(i * 2) + 1];
            order[i] = i;
        }

        Array.Sort(positiveScores, order);
        var ranks = new double[n];
        for (var start = 0; start < n;)
        {
            var end = start;
            while (end + 1 < n && positiveScores[end + 1] == positiveScores[start])
            {
                end++;
            }

            var rank = ((start + end) / 2.0) + 1;
            for (var k = start; k <= end; k++)
            {
                ranks[order[k]] = rank;
            }

            start = end + 1;
        }

        double positives = 0, rankSum = 0;
        for (var i = 0; i < n; i++)
        {
            if (actual[i] == 1)
            {
                positives++;
                rankSum += ranks[i];
            }
        }

        var negatives = n - positives;
        return (rankSum - (positives * (positives + 1) / 2)) / (positives * negatives);
    }
}

/// <summary>
/// The labels and class probabilities of an evaluated split in two flat arrays (4 bytes per row and
/// per class), instead of an array per row.
/// </summary>
internal sealed class ClassScores(int classCount)
{
    private int[] _actual = new int[1024];
    private float[] _probabilities = new float[1024 * classCount];

    public int Count { get; private set; }

    public ReadOnlySpan<int> Actual => _actual.AsSpan(0, Count);

    public ReadOnlySpan<float> Probabilities => _probabilities.AsSpan(0, Count * classCount);

    public void Add(int actual, in Microsoft.ML.Data.VBuffer<float> scores)
    {
        if (Count == _actual.Length)
        {
            Array.Resize(ref _actual, Count * 2);
            Array.Resize(ref _probabilities, Count * 2 * classCount);
        }

        _actual[Count] = actual;
        var row = _probabilities.AsSpan(Count * classCount, classCount);
        var column = 0;
        foreach (var value in scores.DenseValues())
        {
            if (column == classCount)
            {
                break;
            }

            row[column++] = value;
        }

        row[column..].Clear();
        Count++;
    }
}

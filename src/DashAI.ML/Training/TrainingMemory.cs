using System.Globalization;
using System.Text.Json.Nodes;
using DashAI.ML.Models;

namespace DashAI.ML.Training;

/// <summary>
/// The size of a training split once encoded: <see cref="Rows"/> labelled rows, <see cref="FeatureCount"/>
/// slots in the feature vector (numbers, one-hot slots, n-grams), <see cref="ValuesPerRow"/> values a row's
/// feature vector holds on average (a one-hot column holds one), <see cref="KeyColumns"/> categorical
/// columns held as keys, and the number of classes (1 for regression).
/// </summary>
public sealed record TrainingSize(long Rows, long FeatureCount, double ValuesPerRow, int KeyColumns, int ClassCount)
{
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture, $"{Rows:N0} rows × {FeatureCount:N0} features");
}

/// <summary>How a family of trainers holds its training data (see <see cref="TrainingMemory"/>).</summary>
public enum ModelFamily
{
    /// <summary>L-BFGS: loads every feature vector into its own arrays, one per row, to use both cores.</summary>
    Lbfgs,

    /// <summary>SDCA, Pegasos, online gradient descent: read the encoded rows pass after pass, keep a few values per row.</summary>
    StreamingLinear,

    /// <summary>LightGBM: bins every row into its native dataset, plus gradients and scores per class.</summary>
    LightGbm,

    /// <summary>FastTree / FastForest: bin every row (per class for classifiers), plus scores and gradients.</summary>
    Trees,
}

/// <summary>
/// Estimates the memory a training needs from its size and model family, so a run that cannot fit its
/// instance is refused with a reason instead of crashing the instance. The estimate is the peak resident
/// memory of the process that trains: the runtime and libraries (<see cref="BaseBytes"/>), the one
/// in-memory copy of the encoded training rows, what the trainer holds per row, and the garbage
/// collector's headroom. The per-row terms were measured on the 1M-row synthetic set
/// (tests/DashAI.Benchmarks/RESULTS.md, "Memory per training row").
/// </summary>
public static class TrainingMemory
{
    /// <summary>The process before any data: runtime, ML.NET, LightGBM, the Functions worker.</summary>
    public const long BaseBytes = 160L * 1024 * 1024;

    /// <summary>What is left of an instance's memory for the worker's training: .NET caps its heap at 75 % of it.</summary>
    public const double UsableFraction = 0.75;

    /// <summary>The deepest histogram pool the estimate counts (see <see cref="HistogramBytes"/>).</summary>
    public const int MaximumHistograms = 2048;

    /// <summary>The garbage collector keeps some of the freed memory before handing it back.</summary>
    private const double Headroom = 1.25;

    /// <summary>Bytes a row of the encoded training data takes in memory (the cache).</summary>
    public static double EncodedRowBytes(TrainingSize size)
    {
        ArgumentNullException.ThrowIfNull(size);
        // Label and keys 4 bytes each; numbers 4 bytes each; n-gram vectors 8 bytes a value (index and weight).
        var numbers = size.ValuesPerRow - size.KeyColumns;
        return 4 + (4.0 * size.KeyColumns) + (numbers * 6);
    }

    /// <summary>Bytes a row's feature vector takes when a trainer copies it: dense when over half full.</summary>
    public static double FeatureRowBytes(TrainingSize size)
    {
        ArgumentNullException.ThrowIfNull(size);
        return size.ValuesPerRow > size.FeatureCount / 2.0 ? 4.0 * size.FeatureCount : 8.0 * size.ValuesPerRow;
    }

    /// <summary>Bytes per row the trainer of <paramref name="family"/> holds on top of the encoded rows.</summary>
    public static double TrainerRowBytes(ModelFamily family, TrainingSize size)
    {
        ArgumentNullException.ThrowIfNull(size);
        var features = FeatureRowBytes(size);
        var classes = Math.Max(size.ClassCount, 1);
        return family switch
        {
            // One array per row (24-byte header, twice when sparse) and the row's slot in the array of rows.
            ModelFamily.Lbfgs => features + 56 + 4,
            // SDCA keeps a dual variable per row and class; the others almost nothing.
            ModelFamily.StreamingLinear => (4.0 * classes) + 8,
            // Binned features (a byte a slot, categories collapsed), labels twice, gradients, hessians and scores per class.
            ModelFamily.LightGbm => Math.Min(size.FeatureCount, size.ValuesPerRow * 2) + 8 + (24.0 * classes),
            // Binned and transposed copies of the features, scores, gradients, weights and row partitions
            // (measured: about 900 bytes a row for 40 features and 3 one-versus-all classes).
            ModelFamily.Trees => (12 * Math.Min(size.FeatureCount, size.ValuesPerRow * 2)) + 420,
            _ => throw new ArgumentOutOfRangeException(nameof(family)),
        };
    }

    /// <summary>
    /// Tree trainers keep a pool of histograms (2/3 of the leaves; per feature, a double sum, a double weight
    /// and a count per bin). Numbers get up to 256 bins (no more than there are rows), one-hot and n-gram slots
    /// about 2. The pool is counted at most <see cref="MaximumHistograms"/> deep: its arrays are filled as
    /// leaves are split, and a deeper count overstated what was measured. FastForest's 2,048 leaves on 40
    /// features: about 140 MB whatever the rows.
    /// </summary>
    public static long HistogramBytes(ModelFamily family, TrainingSize size, int leaves)
    {
        ArgumentNullException.ThrowIfNull(size);
        if (family != ModelFamily.Trees)
        {
            return 0;
        }

        var numbers = Math.Max(0, size.ValuesPerRow - size.KeyColumns);
        var bins = (numbers * Math.Min(256, Math.Max(size.Rows, 1))) + (2 * Math.Max(0, size.FeatureCount - numbers));
        var histograms = Math.Min(leaves * 2 / 3, MaximumHistograms);
        return (long)(histograms * bins * 20);
    }

    /// <summary>
    /// The estimated peak memory of training <paramref name="family"/> on <paramref name="size"/>, in bytes;
    /// <paramref name="leaves"/> is the tree trainers' maximum leaves per tree.
    /// </summary>
    public static long EstimateBytes(ModelFamily family, TrainingSize size, int leaves = 0)
    {
        ArgumentNullException.ThrowIfNull(size);
        var perRow = EncodedRowBytes(size) + TrainerRowBytes(family, size);
        return BaseBytes + HistogramBytes(family, size, leaves) + (long)(size.Rows * perRow * Headroom);
    }

    /// <summary>The maximum leaves per tree in a run's parameters (0 for models without trees).</summary>
    public static int Leaves(JsonObject parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        // Stored parameters hold the number as whatever JSON number type they were parsed or built with.
        return parameters["number_of_leaves"] is JsonValue value
            && double.TryParse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var leaves)
            ? (int)Math.Min(leaves, int.MaxValue)
            : 0;
    }

    /// <summary>The memory of an instance a training may use.</summary>
    public static long UsableBytes(long instanceMemoryBytes) => (long)(instanceMemoryBytes * UsableFraction);

    /// <summary>
    /// Throws <see cref="InvalidInputException"/> naming the estimate, the instance memory and what to do
    /// when training <paramref name="model"/> with <paramref name="parameters"/> on <paramref name="size"/> needs more than an instance of
    /// <paramref name="instanceMemoryBytes"/> can give it.
    /// </summary>
    public static void EnsureFits(ModelDefinition model, JsonObject parameters, TrainingSize size, long instanceMemoryBytes)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(size);
        var leaves = Leaves(parameters);
        var needed = EstimateBytes(model.Family, size, leaves);
        var usable = UsableBytes(instanceMemoryBytes);
        if (needed <= usable)
        {
            return;
        }

        var fixedBytes = BaseBytes + HistogramBytes(model.Family, size, leaves);
        var fitsRows = Math.Max(0, (long)((usable - fixedBytes) / ((EncodedRowBytes(size) + TrainerRowBytes(model.Family, size)) * Headroom)));
        throw new InvalidInputException(string.Create(CultureInfo.InvariantCulture,
            $"Training {model.Name} on {size} needs about {Megabytes(needed):N0} MB of memory, but the instance has " +
            $"{Megabytes(instanceMemoryBytes):N0} MB ({Megabytes(usable):N0} MB usable for training). " +
            $"Train on a sample of at most about {fitsRows:N0} rows, use fewer input columns{(leaves > 0 ? " or fewer leaves per tree" : "")} (or categories and text with fewer distinct values), " +
            $"or deploy on a larger instance (instanceMemoryMB in infra/)."));
    }

    private static long Megabytes(long bytes) => (bytes + (1024 * 1024) - 1) / (1024 * 1024);
}

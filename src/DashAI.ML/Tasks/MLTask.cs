using DashAI.ML.Data;
using DashAI.ML.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;
using Microsoft.ML.Transforms.Text;

namespace DashAI.ML.Tasks;

/// <summary>Whether a task predicts a class or a number; decides trainers, label handling and metrics.</summary>
public enum TaskKind
{
    Classification,
    Regression,
}

/// <summary>
/// A machine-learning task: checks that a dataset fits it and builds the featurization of the
/// dataset's input columns into one feature vector, in two stages (see <see cref="BuildEncoding"/>
/// and <see cref="BuildFeatures"/>) so only compact encoded values are ever held in memory.
/// </summary>
public abstract class MLTask
{
    /// <summary>Categorical columns with more distinct values than this are hashed instead of one-hot encoded.</summary>
    public const long OneHotMaximumCardinality = 100;

    /// <summary>Bits of the hash of a high-cardinality categorical column (2^12 one-hot slots).</summary>
    public const int HashBits = 12;

    private const int MinimumNgramRows = 2;

    public abstract string Name { get; }

    public abstract string Description { get; }

    public abstract TaskKind Kind { get; }

    /// <summary>Every reason the dataset does not fit this task; empty when it fits.</summary>
    public IReadOnlyList<string> GetDatasetProblems(DatasetSchema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        var problems = new List<string>();
        var names = schema.Columns.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var column in schema.InputColumns.Concat(schema.OutputColumns).Where(c => !names.Contains(c)))
        {
            problems.Add($"Column '{column}' is not in the dataset.");
        }

        if (schema.OutputColumns.Count != 1)
        {
            problems.Add($"{Name} needs exactly one output column, the dataset has {schema.OutputColumns.Count}.");
        }

        if (schema.InputColumns.Count == 0)
        {
            problems.Add($"{Name} needs at least one input column.");
        }

        foreach (var column in schema.InputColumns.Intersect(schema.OutputColumns, StringComparer.Ordinal))
        {
            problems.Add($"Column '{column}' cannot be both an input and the output.");
        }

        if (problems.Count == 0)
        {
            AddTaskProblems(schema, schema[schema.OutputColumns[0]], problems);
        }

        return problems;
    }

    /// <summary>Throws <see cref="InvalidInputException"/> listing every reason the dataset does not fit.</summary>
    public void ValidateDataset(DatasetSchema schema)
    {
        var problems = GetDatasetProblems(schema);
        if (problems.Count > 0)
        {
            throw new InvalidInputException(problems);
        }
    }

    protected abstract void AddTaskProblems(DatasetSchema schema, ColumnInfo output, List<string> problems);

    /// <summary>
    /// The first stage, fitted on the streamed training split: every string becomes a number before
    /// anything is held in memory. Numbers are gathered into one vector (missing stays NaN);
    /// categorical and boolean columns become keys (hashed into 2^<see cref="HashBits"/> keys above
    /// <see cref="OneHotMaximumCardinality"/> distinct values; an unseen or missing value is key 0);
    /// text becomes word uni/bi-gram and character tri-gram weights (see <see cref="TextOptions"/>),
    /// TF-IDF with L2-normalized rows when <paramref name="normalize"/> (linear trainers), counts otherwise.
    /// Every column it adds is named by <paramref name="columns"/>, so no user column name can collide.
    /// </summary>
    public virtual IEstimator<ITransformer> BuildEncoding(MLContext mlContext, DatasetSchema schema, bool normalize, PipelineColumns columns)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(columns);
        var encoding = new EstimatorChain<ITransformer>();
        var inputs = schema.InputColumns.Select(name => schema[name]).ToList();

        var numeric = inputs.Where(c => c.Type is ColumnType.Integer or ColumnType.Float).Select(c => c.Name).ToArray();
        if (numeric.Length > 0)
        {
            encoding = encoding.Append<ITransformer>(mlContext.Transforms.Concatenate(columns.Numeric, numeric));
        }

        var categorical = inputs.Where(c => c.Type is ColumnType.Categorical or ColumnType.Boolean).ToList();
        var keyed = new List<InputOutputColumnPair>();
        for (var i = 0; i < categorical.Count; i++)
        {
            if (categorical[i].DistinctCount > OneHotMaximumCardinality)
            {
                encoding = encoding.Append<ITransformer>(mlContext.Transforms.Conversion.Hash(columns.Category(i), categorical[i].Name, numberOfBits: HashBits));
            }
            else
            {
                keyed.Add(new InputOutputColumnPair(columns.Category(i), categorical[i].Name));
            }
        }

        if (keyed.Count > 0)
        {
            // One estimator for every column: their dictionaries are built in one pass over the split.
            encoding = encoding.Append<ITransformer>(mlContext.Transforms.Conversion.MapValueToKey([.. keyed]));
        }

        var text = inputs.Where(c => c.Type == ColumnType.Text).ToList();
        for (var i = 0; i < text.Count; i++)
        {
            encoding = encoding.Append<ITransformer>(mlContext.Transforms.Text.FeaturizeText(columns.Text(i), TextOptions(normalize), text[i].Name));
            // N-grams seen in fewer than 2 rows cannot generalize; dropping them shrinks the vector
            // several-fold, which tree trainers (LightGBM bins every slot) need to fit in reasonable time.
            encoding = encoding.Append<ITransformer>(mlContext.Transforms.FeatureSelection.SelectFeaturesBasedOnCount(columns.Text(i), count: MinimumNgramRows));
        }

        return encoding;
    }

    /// <summary>The columns <see cref="BuildEncoding"/> adds: what the training data cache holds besides the label.</summary>
    public static IReadOnlyList<string> EncodedColumns(DatasetSchema schema, PipelineColumns columns)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(columns);
        var inputs = schema.InputColumns.Select(name => schema[name]).ToList();
        var names = new List<string>();
        if (inputs.Any(c => c.Type is ColumnType.Integer or ColumnType.Float))
        {
            names.Add(columns.Numeric);
        }

        names.AddRange(Enumerable.Range(0, inputs.Count(c => c.Type is ColumnType.Categorical or ColumnType.Boolean)).Select(columns.Category));
        names.AddRange(Enumerable.Range(0, inputs.Count(c => c.Type == ColumnType.Text)).Select(columns.Text));
        return names;
    }

    /// <summary>
    /// The second stage, fitted on the encoded training data: numbers get missing values replaced by
    /// the column mean (and are standardized when <paramref name="normalize"/>, for linear trainers);
    /// category keys become one-hot vectors (key 0 all zeros); everything is concatenated into
    /// <see cref="PipelineColumns.Features"/>. Cheap per row, so trainers compute it as they read.
    /// </summary>
    public virtual IEstimator<ITransformer> BuildFeatures(MLContext mlContext, DatasetSchema schema, bool normalize, PipelineColumns columns)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(columns);
        var features = new EstimatorChain<ITransformer>();
        var parts = new List<string>();
        var inputs = schema.InputColumns.Select(name => schema[name]).ToList();
        if (inputs.Any(c => c.Type is ColumnType.Integer or ColumnType.Float))
        {
            if (normalize)
            {
                // The statistics skip missing values, which stay missing; after standardizing every mean is 0,
                // so replacing them with 0 is mean imputation without another pass over the data.
                features = features
                    .Append<ITransformer>(mlContext.Transforms.NormalizeMeanVariance(columns.Numeric, fixZero: false))
                    .Append<ITransformer>(mlContext.Transforms.ReplaceMissingValues(columns.Numeric, replacementMode: MissingValueReplacingEstimator.ReplacementMode.DefaultValue));
            }
            else
            {
                features = features.Append<ITransformer>(mlContext.Transforms.ReplaceMissingValues(columns.Numeric, replacementMode: MissingValueReplacingEstimator.ReplacementMode.Mean));
            }

            parts.Add(columns.Numeric);
        }

        var categories = inputs.Count(c => c.Type is ColumnType.Categorical or ColumnType.Boolean);
        if (categories > 0)
        {
            var oneHot = Enumerable.Range(0, categories).Select(i => new InputOutputColumnPair(columns.OneHot(i), columns.Category(i))).ToArray();
            features = features.Append<ITransformer>(mlContext.Transforms.Conversion.MapKeyToVector(oneHot));
            parts.AddRange(oneHot.Select(p => p.OutputColumnName));
        }

        parts.AddRange(Enumerable.Range(0, inputs.Count(c => c.Type == ColumnType.Text)).Select(columns.Text));
        return features.Append(mlContext.Transforms.Concatenate(columns.Features, [.. parts]));
    }

    /// <summary>
    /// Linear trainers get TF-IDF weights with L2-normalized rows (what scikit-learn's TfidfVectorizer
    /// gives); trees get raw n-gram counts, which bin better than tiny TF-IDF fractions (LightGBM lost
    /// 0.035 accuracy on package_sections with TF-IDF).
    /// </summary>
    private static TextFeaturizingEstimator.Options TextOptions(bool normalize)
    {
        var weighting = normalize ? NgramExtractingEstimator.WeightingCriteria.TfIdf : NgramExtractingEstimator.WeightingCriteria.Tf;
        return new TextFeaturizingEstimator.Options
        {
            CaseMode = TextNormalizingEstimator.CaseMode.Lower,
            KeepDiacritics = false,
            KeepPunctuations = false,
            KeepNumbers = true,
            WordFeatureExtractor = new WordBagEstimator.Options { NgramLength = 2, UseAllLengths = true, Weighting = weighting },
            CharFeatureExtractor = new WordBagEstimator.Options { NgramLength = 3, UseAllLengths = false, Weighting = weighting },
            Norm = normalize ? TextFeaturizingEstimator.NormFunction.L2 : TextFeaturizingEstimator.NormFunction.None,
        };
    }
}

using DashAI.ML.Data;
using Microsoft.ML;
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
/// dataset's input columns into one <see cref="FeaturesColumn"/> vector.
/// </summary>
public abstract class MLTask
{
    /// <summary>The feature vector every trainer reads.</summary>
    public const string FeaturesColumn = "__dashai_features";

    /// <summary>The key-typed label a classification trainer reads.</summary>
    public const string LabelKeyColumn = "__dashai_label";

    private const string NumericColumn = "__dashai_numeric";

    /// <summary>Categorical columns with more distinct values than this are hashed instead of one-hot encoded.</summary>
    public const long OneHotMaximumCardinality = 100;

    private const int HashBits = 12;

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
    /// Featurizes the input columns: numbers get missing values replaced by the column mean (and are
    /// standardized when <paramref name="normalize"/>, for linear trainers, which also get TF-IDF
    /// text); categorical and boolean
    /// columns are one-hot encoded (hashed above <see cref="OneHotMaximumCardinality"/> distinct
    /// values, an unseen or missing value encodes as all zeros); text gets word uni/bi-grams and
    /// character tri-grams (see <see cref="TextOptions"/>).
    /// </summary>
    public virtual IEstimator<ITransformer> BuildFeaturization(MLContext mlContext, DatasetSchema schema, bool normalize)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(schema);
        var parts = new List<string>();
        var chain = new List<IEstimator<ITransformer>>();
        var inputs = schema.InputColumns.Select(name => schema[name]).ToList();

        var numeric = inputs.Where(c => c.Type is ColumnType.Integer or ColumnType.Float).Select(c => c.Name).ToArray();
        if (numeric.Length > 0)
        {
            chain.Add(mlContext.Transforms.Concatenate(NumericColumn, numeric));
            if (normalize)
            {
                // The statistics skip missing values, which stay missing; after standardizing every mean is 0,
                // so replacing them with 0 is mean imputation without another pass over the data.
                chain.Add(mlContext.Transforms.NormalizeMeanVariance(NumericColumn, fixZero: false));
                chain.Add(mlContext.Transforms.ReplaceMissingValues(NumericColumn, replacementMode: MissingValueReplacingEstimator.ReplacementMode.DefaultValue));
            }
            else
            {
                chain.Add(mlContext.Transforms.ReplaceMissingValues(NumericColumn, replacementMode: MissingValueReplacingEstimator.ReplacementMode.Mean));
            }

            parts.Add(NumericColumn);
        }

        var index = 0;
        foreach (var column in inputs.Where(c => c.Type is ColumnType.Categorical or ColumnType.Boolean))
        {
            var output = $"__dashai_cat{index++}";
            chain.Add(column.DistinctCount > OneHotMaximumCardinality
                ? mlContext.Transforms.Categorical.OneHotHashEncoding(output, column.Name, numberOfBits: HashBits)
                : mlContext.Transforms.Categorical.OneHotEncoding(output, column.Name));
            parts.Add(output);
        }

        index = 0;
        foreach (var column in inputs.Where(c => c.Type == ColumnType.Text))
        {
            var output = $"__dashai_text{index++}";
            chain.Add(mlContext.Transforms.Text.FeaturizeText(output, TextOptions(normalize), column.Name));
            // N-grams seen in fewer than 2 rows cannot generalize; dropping them shrinks the vector
            // several-fold, which tree trainers (LightGBM bins every slot) need to fit in reasonable time.
            chain.Add(mlContext.Transforms.FeatureSelection.SelectFeaturesBasedOnCount(output, count: MinimumNgramRows));
            parts.Add(output);
        }

        chain.Add(mlContext.Transforms.Concatenate(FeaturesColumn, [.. parts]));
        IEstimator<ITransformer> pipeline = chain[0];
        foreach (var step in chain.Skip(1))
        {
            pipeline = pipeline.Append(step);
        }

        return pipeline;
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

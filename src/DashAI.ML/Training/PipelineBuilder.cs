using System.Text.Json.Nodes;
using DashAI.ML.Data;
using DashAI.ML.Models;
using DashAI.ML.Tasks;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace DashAI.ML.Training;

/// <summary>
/// The names of the columns a training adds. They share a prefix that no column of the dataset
/// starts with ("__dashai_", with more underscores when a dataset column already starts with it),
/// so any column name a file can hold — "Label", "Features", "Score", "__dashai_features" — is only
/// ever read as the user's column, and the user's columns are only read before any column named by
/// ML.NET ("Score", "PredictedLabel", "Probability") exists. Messages name the user's columns.
/// </summary>
public sealed class PipelineColumns
{
    private PipelineColumns(string prefix) => Prefix = prefix;

    public string Prefix { get; }

    /// <summary>The feature vector every trainer reads.</summary>
    public string Features => Prefix + "features";

    /// <summary>The trainer's label: a key in sorted value order (classification) or a number (regression).</summary>
    public string Label => Prefix + "label";

    /// <summary>Classification: the output column's original value, to name a value the training split never had.</summary>
    public string LabelValue => Prefix + "label_value";

    /// <summary>The numeric input columns gathered into one vector.</summary>
    public string Numeric => Prefix + "numeric";

    /// <summary>The key of the i-th categorical or boolean input column.</summary>
    public string Category(int index) => Prefix + "cat" + index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The one-hot vector of the i-th categorical or boolean input column.</summary>
    public string OneHot(int index) => Prefix + "onehot" + index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The n-gram weights of the i-th text input column.</summary>
    public string Text(int index) => Prefix + "text" + index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static PipelineColumns For(DatasetSchema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        var prefix = "__dashai_";
        while (schema.Columns.Any(c => c.Name.StartsWith(prefix, StringComparison.Ordinal)))
        {
            prefix += "_";
        }

        return new PipelineColumns(prefix);
    }
}

/// <summary>
/// The estimators of one training, in the order they are fitted:
/// <list type="number">
/// <item><see cref="LabelMapping"/> turns the output column into <see cref="PipelineColumns.Label"/>; it is
/// fitted on the training split and applied to every split, but is not part of the saved model, so
/// predicting never needs the output column.</item>
/// <item><see cref="Encoding"/> (saved) turns every string into a number as the split streams past: the
/// training data is held in memory only in this encoded form (<see cref="EncodedColumns"/>).</item>
/// <item><see cref="CreateModel"/> (saved) builds the feature vector from the encoded columns, the trainer
/// and the mapping of the prediction back to the original label values in "PredictedLabel". A new
/// estimator each time: some trainers keep their copy of the data until they are collected.</item>
/// </list>
/// </summary>
public sealed class TrainingPipeline
{
    /// <summary>The prediction column of the saved model: the original label value (class or number).</summary>
    public const string PredictedLabelColumn = "PredictedLabel";

    /// <summary>Classification: class probabilities in sorted label order. Regression: the predicted number.</summary>
    public const string ScoreColumn = "Score";

    private readonly Func<IEstimator<ITransformer>> _createModel;

    internal TrainingPipeline(
        PipelineColumns columns,
        IEstimator<ITransformer> labelMapping,
        IEstimator<ITransformer> encoding,
        IReadOnlyList<string> encodedColumns,
        Func<IEstimator<ITransformer>> createModel)
    {
        Columns = columns;
        LabelMapping = labelMapping;
        Encoding = encoding;
        EncodedColumns = encodedColumns;
        _createModel = createModel;
    }

    public PipelineColumns Columns { get; }

    public IEstimator<ITransformer> LabelMapping { get; }

    public IEstimator<ITransformer> Encoding { get; }

    public IReadOnlyList<string> EncodedColumns { get; }

    public IEstimator<ITransformer> CreateModel() => _createModel();
}

public static class PipelineBuilder
{
    /// <summary>
    /// Builds the pipeline from validated, default-filled <paramref name="parameters"/> (see
    /// <see cref="Components.ComponentRegistry.ValidateAndFillDefaults"/>). Pure: nothing is read or fitted.
    /// </summary>
    public static TrainingPipeline BuildPipeline(
        MLContext mlContext, MLTask task, ModelDefinition model, JsonObject parameters, DatasetSchema schema, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(schema);
        if (!model.Fits(task.Name))
        {
            throw new InvalidInputException($"Model '{model.Name}' does not fit task '{task.Name}'.");
        }

        var columns = PipelineColumns.For(schema);
        var output = schema.OutputColumns[0];
        var settings = new TrainerSettings(columns.Label, columns.Features, seed);
        var encoding = task.BuildEncoding(mlContext, schema, model.NeedsNormalization, columns);
        var encodedColumns = MLTask.EncodedColumns(schema, columns);
        if (task.Kind == TaskKind.Classification)
        {
            return new TrainingPipeline(
                columns,
                mlContext.Transforms.Conversion.MapValueToKey(columns.Label, output, keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue)
                    .Append(mlContext.Transforms.CopyColumns(columns.LabelValue, output)),
                encoding,
                encodedColumns,
                () => task.BuildFeatures(mlContext, schema, model.NeedsNormalization, columns)
                    .Append(model.CreateTrainer(mlContext, settings, parameters))
                    .Append(mlContext.Transforms.Conversion.MapKeyToValue(TrainingPipeline.PredictedLabelColumn)));
        }

        return new TrainingPipeline(
            columns,
            mlContext.Transforms.CopyColumns(columns.Label, output),
            encoding,
            encodedColumns,
            () => task.BuildFeatures(mlContext, schema, model.NeedsNormalization, columns)
                .Append(model.CreateTrainer(mlContext, settings, parameters))
                .Append(mlContext.Transforms.CopyColumns(TrainingPipeline.PredictedLabelColumn, TrainingPipeline.ScoreColumn)));
    }

    /// <summary>The saved model: the encoding followed by features, trainer and label mapping back.</summary>
    internal static ITransformer Chain(ITransformer encoding, ITransformer model) =>
        new TransformerChain<ITransformer>(encoding, model);
}

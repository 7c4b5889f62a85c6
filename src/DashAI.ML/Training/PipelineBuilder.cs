using System.Text.Json.Nodes;
using DashAI.ML.Data;
using DashAI.ML.Models;
using DashAI.ML.Tasks;
using Microsoft.ML;
using Microsoft.ML.Transforms;

namespace DashAI.ML.Training;

/// <summary>
/// The estimators of one training. <see cref="LabelMapping"/> turns the output column into the
/// trainer's label (a key in sorted value order for classification, a number for regression); it
/// is fitted on the training split and applied to every split, but is not part of the saved
/// model, so predicting never needs the output column. <see cref="Model"/> is featurization,
/// trainer, and mapping of the prediction back to the original label values in "PredictedLabel".
/// </summary>
public sealed record TrainingPipeline(IEstimator<ITransformer> LabelMapping, IEstimator<ITransformer> Model)
{
    /// <summary>The label column both estimators agree on.</summary>
    public const string LabelColumn = MLTask.LabelKeyColumn;

    /// <summary>The prediction column of the saved model: the original label value (class or number).</summary>
    public const string PredictedLabelColumn = "PredictedLabel";

    /// <summary>Classification: class probabilities in sorted label order. Regression: the predicted number.</summary>
    public const string ScoreColumn = "Score";
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

        var output = schema.OutputColumns[0];
        var trainer = model.CreateTrainer(mlContext, new TrainerSettings(TrainingPipeline.LabelColumn, MLTask.FeaturesColumn, seed), parameters);
        // Trainers pass over the data many times: cache the feature vectors instead of featurizing on every pass.
        var featurized = task.BuildFeaturization(mlContext, schema, model.NeedsNormalization).AppendCacheCheckpoint(mlContext).Append(trainer);
        if (task.Kind == TaskKind.Classification)
        {
            return new TrainingPipeline(
                mlContext.Transforms.Conversion.MapValueToKey(TrainingPipeline.LabelColumn, output, keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue),
                featurized.Append(mlContext.Transforms.Conversion.MapKeyToValue(TrainingPipeline.PredictedLabelColumn)));
        }

        return new TrainingPipeline(
            mlContext.Transforms.CopyColumns(TrainingPipeline.LabelColumn, output),
            featurized.Append(mlContext.Transforms.CopyColumns(TrainingPipeline.PredictedLabelColumn, TrainingPipeline.ScoreColumn)));
    }
}

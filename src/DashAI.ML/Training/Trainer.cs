using System.Text.Json.Nodes;
using DashAI.ML.Components;
using DashAI.ML.Data;
using DashAI.ML.Metrics;
using DashAI.ML.Models;
using DashAI.ML.Tasks;
using Microsoft.ML;

namespace DashAI.ML.Training;

/// <summary>
/// One training: the task and model by name, the parameters as stored with the run (they are
/// validated and defaults filled again, so older runs keep working), the dataset schema, the
/// canonical CSV split files, and the seed.
/// </summary>
public sealed record TrainingRequest(
    string TaskName,
    string ModelName,
    JsonObject Parameters,
    DatasetSchema Schema,
    string TrainPath,
    string ValidationPath,
    string TestPath,
    int Seed)
{
    /// <summary>
    /// The memory of the instance that trains, in bytes; null when unknown. A run whose estimated need
    /// exceeds what such an instance can give a training is refused (see <see cref="TrainingMemory.EnsureFits"/>).
    /// </summary>
    public long? InstanceMemoryBytes { get; init; }
}

/// <summary>Reported through <see cref="IProgress{T}"/> as each stage starts.</summary>
public enum TrainingStage
{
    Loading,
    Training,
    Evaluating,
    Saving,
}

/// <summary>
/// What a training produced.
/// <para>
/// Predicting with the saved model: <c>var model = mlContext.Model.Load(stream, out var inputSchema)</c>;
/// build an <c>IDataView</c> holding the dataset's input columns (names from
/// <see cref="DatasetSchema.InputColumns"/>; integer and float columns as <c>float</c> with NaN for
/// missing, every other column as text with "" for missing) — e.g. a CSV of the input columns read
/// with <see cref="CanonicalCsv.CreatePredictionLoader"/> — and call <c>model.Transform(data)</c>.
/// The "PredictedLabel" column holds the original label value (text for categorical/boolean
/// labels, <c>float</c> for integer labels and for regression); for classification "Score" holds
/// the class probabilities in the order of the "class_labels" artifact.
/// </para>
/// </summary>
public sealed class TrainingResult
{
    private readonly byte[] _model;

    internal TrainingResult(Dictionary<string, Dictionary<string, double>> metrics, JsonObject artifacts, byte[] model)
    {
        Metrics = metrics;
        Artifacts = artifacts;
        _model = model;
    }

    /// <summary>Split name (train, validation, test) → metric name → value. A metric that is undefined on a split (e.g. roc_auc with one class present) is absent.</summary>
    public Dictionary<string, Dictionary<string, double>> Metrics { get; }

    /// <summary>
    /// "rows": split → labelled rows evaluated; classification adds "class_labels" (original values,
    /// in key/score order) and "confusion_matrix": split → rows true class, columns predicted class.
    /// </summary>
    public JsonObject Artifacts { get; }

    /// <summary>The size of the saved model in bytes.</summary>
    public long ModelSize => _model.LongLength;

    /// <summary>Writes the ML.NET model zip (loadable with <c>MLContext.Model.Load</c>).</summary>
    public void SaveModel(Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        destination.Write(_model);
    }
}

public static class Trainer
{
    /// <summary>
    /// Fits the model on the training split and evaluates every metric of the task on the
    /// training, validation and test splits. Problems the user can fix (parameters, a dataset
    /// that does not fit the task, a class missing from the training split, a training split too large
    /// for <see cref="TrainingRequest.InstanceMemoryBytes"/>...) throw <see cref="InvalidInputException"/>;
    /// cancellation throws <see cref="OperationCanceledException"/>. The size check runs after the
    /// streamed passes that fit the encoding and before anything is held in memory.
    /// </summary>
    public static TrainingResult Train(TrainingRequest request, IProgress<TrainingStage>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var parameters = ComponentRegistry.ValidateAndFillDefaults(request.ModelName, request.TaskName, request.Parameters);
        var task = ComponentRegistry.ValidateExperiment(request.TaskName, request.Schema);
        var model = ModelCatalog.Find(request.ModelName)!;
        cancellationToken.ThrowIfCancellationRequested();

        var session = new TrainingSession(task, model, parameters, request.Schema, request.Seed);
        using var registration = session.MLContext.CancelOn(cancellationToken);
        try
        {
            progress?.Report(TrainingStage.Loading);
            var rawTrain = session.Load(request.TrainPath);
            var (encoded, size) = session.EncodeTrainingData(rawTrain);
            if (request.InstanceMemoryBytes is { } instanceMemory)
            {
                TrainingMemory.EnsureFits(model, parameters, size, instanceMemory);
            }

            IDataView? train = session.CacheTrainingData(encoded);
            cancellationToken.ThrowIfCancellationRequested();

            progress?.Report(TrainingStage.Training);
            var fitted = session.Fit(train);
            cancellationToken.ThrowIfCancellationRequested();

            progress?.Report(TrainingStage.Evaluating);
            var metrics = new Dictionary<string, Dictionary<string, double>>(StringComparer.Ordinal);
            var rows = new JsonObject();
            var confusion = new JsonObject();
            foreach (var split in SplitNames.All)
            {
                // The training rows are scored from memory; after that nothing holds them, and the other splits stream from their files.
                var evaluation = split == SplitNames.Train
                    ? session.EvaluatePrepared(train!, split, cancellationToken)
                    : session.Evaluate(fitted, session.Load(split == SplitNames.Validation ? request.ValidationPath : request.TestPath), split, cancellationToken);
                if (split == SplitNames.Train)
                {
                    train = null;
                }

                metrics[split] = evaluation.Metrics;
                rows[split] = evaluation.Rows;
                if (evaluation.ConfusionMatrix is not null)
                {
                    confusion[split] = MetricCalculator.ToJson(evaluation.ConfusionMatrix);
                }
            }

            var artifacts = new JsonObject { ["rows"] = rows };
            if (task.Kind == TaskKind.Classification)
            {
                artifacts["class_labels"] = session.ClassLabels.DeepClone();
                artifacts["confusion_matrix"] = confusion;
            }

            cancellationToken.ThrowIfCancellationRequested();
            progress?.Report(TrainingStage.Saving);
            using var buffer = new MemoryStream();
            session.MLContext.Model.Save(fitted, session.InputSchema(rawTrain), buffer);
            return new TrainingResult(metrics, artifacts, buffer.ToArray());
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException("Training was cancelled.", cancellationToken);
        }
        catch (Exception exception) when (cancellationToken.IsCancellationRequested && exception is not InvalidInputException)
        {
            // ML.NET sometimes surfaces a cancelled execution wrapped in another exception.
            throw new OperationCanceledException("Training was cancelled.", exception, cancellationToken);
        }
    }
}

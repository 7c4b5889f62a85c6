using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DashAI.ML.Data;
using DashAI.ML.Parameters;
using DashAI.ML.Tasks;
using DashAI.ML.Training;
using Microsoft.ML;

namespace DashAI.ML.Explainers;

/// <summary>
/// One explanation of a trained run: the explainer and its parameters as stored (validated and filled again),
/// the run's task, model name and class order (its "class_labels" artifact, empty for regression), the dataset
/// schema, the saved model and the canonical CSV split files.
/// </summary>
public sealed record ExplainRequest(
    string ExplainerName,
    string TaskName,
    string ModelName,
    JsonObject Parameters,
    DatasetSchema Schema,
    IReadOnlyList<string> ClassLabels,
    string ModelPath,
    string TrainPath,
    string ValidationPath,
    string TestPath)
{
    /// <summary>The class labels of a run's "class_labels" artifact as text (numbers in invariant form).</summary>
    public static IReadOnlyList<string> ClassLabelsFrom(JsonArray? labels) =>
        labels is null
            ? []
            : [.. labels.Select(l => l is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : l?.ToJsonString() ?? "")];
}

/// <summary>Reported as an explanation goes: the stage and, while scoring, the rows scored out of the rows to score.</summary>
public sealed record ExplainProgress(string Stage, long? Done = null, long? Total = null);

/// <summary>What an explanation produced: the result document and its plots (PNG; one per row for local explainers).</summary>
public sealed record ExplanationResult(JsonObject Result, IReadOnlyList<byte[]> Plots);

/// <summary>Runs the explainers of <see cref="ExplainerCatalog"/> on a saved model.</summary>
public static class Explainer
{
    /// <summary>
    /// Explains the model. Problems the user can fix (parameters, a column that is not in the dataset, a metric
    /// that is undefined on the split) throw <see cref="InvalidInputException"/>; cancellation throws
    /// <see cref="OperationCanceledException"/>.
    /// </summary>
    public static ExplanationResult Explain(ExplainRequest request, IProgress<ExplainProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var parameters = ExplainerCatalog.ValidateAndFillDefaults(request.ExplainerName, request.TaskName, request.Schema, request.Parameters);
        var context = ExplainContext.Load(request);
        progress?.Report(new ExplainProgress("loading"));
        var values = new ParameterValues(parameters);
        switch (request.ExplainerName)
        {
            case ExplainerCatalog.PermutationFeatureImportance:
            {
                var split = values.GetString("split");
                var importance = PermutationImportance.Compute(
                    context,
                    request.PathOf(split),
                    split,
                    values.GetString("scoring"),
                    values.GetInt32("n_repeats"),
                    values.GetInt32("max_samples"),
                    values.GetInt32("seed"),
                    progress,
                    cancellationToken);
                progress?.Report(new ExplainProgress("plotting"));
                return new ExplanationResult(importance.ToJson(), [ExplainerPlots.Importance(importance, request.ModelName)]);
            }

            case ExplainerCatalog.PartialDependence:
            {
                var split = values.GetString("split");
                var percentiles = parameters["percentiles"]!.AsArray().Select(p => p!.GetValue<double>()).ToArray();
                var features = parameters["features"] is JsonArray given ? given.Select(f => f!.GetValue<string>()).ToList() : null;
                var dependence = PartialDependence.Compute(
                    context,
                    request.PathOf(split),
                    split,
                    features,
                    values.GetInt32("grid_resolution"),
                    (percentiles[0], percentiles[1]),
                    values.GetInt32("max_samples"),
                    values.GetInt32("seed"),
                    progress,
                    cancellationToken);
                progress?.Report(new ExplainProgress("plotting"));
                return new ExplanationResult(dependence.ToJson(), [ExplainerPlots.Dependence(dependence, request.ModelName)]);
            }

            default:
            {
                var contributions = FeatureContributions.Compute(
                    context,
                    parameters["rows"]!.AsArray(),
                    request.TrainPath,
                    values.GetInt32("n_samples"),
                    values.GetInt32("background_rows"),
                    values.GetInt32("seed"),
                    progress,
                    cancellationToken);
                progress?.Report(new ExplainProgress("plotting"));
                return new ExplanationResult(
                    contributions.ToJson(),
                    [.. contributions.Rows.Select((_, i) => ExplainerPlots.Contributions(contributions, i, request.ModelName))]);
            }
        }
    }

    private static string PathOf(this ExplainRequest request, string split) =>
        split == SplitNames.Validation ? request.ValidationPath : request.TestPath;

    internal static double Round(double value) => Math.Round(value, 6);

    internal static string Format(double value) => value.ToString("G4", CultureInfo.InvariantCulture);
}

/// <summary>A loaded model with what scoring it needs: task, schema, class order.</summary>
internal sealed class ExplainContext
{
    private ExplainContext(MLContext mlContext, ITransformer model, MLTask task, DatasetSchema schema, ClassLabelIndex? classes)
    {
        MLContext = mlContext;
        Model = model;
        Task = task;
        Schema = schema;
        Classes = classes;
        Scorer = new BatchScorer(model, task.Kind, classes?.Count ?? 1, schema);
    }

    public MLContext MLContext { get; }

    public ITransformer Model { get; }

    public MLTask Task { get; }

    public DatasetSchema Schema { get; }

    /// <summary>Null for regression.</summary>
    public ClassLabelIndex? Classes { get; }

    public BatchScorer Scorer { get; }

    public string OutputColumn => Schema.OutputColumns[0];

    /// <summary>The names of the model's outputs: the classes, or the output column for regression.</summary>
    public IReadOnlyList<string> Outputs => Classes?.Labels ?? [OutputColumn];

    public static ExplainContext Load(ExplainRequest request)
    {
        var task = ComponentsTask(request);
        ClassLabelIndex? classes = null;
        if (task.Kind == TaskKind.Classification)
        {
            if (request.ClassLabels.Count < 2)
            {
                throw new InvalidInputException("The run has no class labels (a run trained before they were stored): train it again to explain it.");
            }

            classes = new ClassLabelIndex(request.ClassLabels, request.Schema.OutputColumns[0]);
        }

        var mlContext = new MLContext(seed: 0);
        ITransformer model;
        using (var stream = File.OpenRead(request.ModelPath))
        {
            model = mlContext.Model.Load(stream, out _);
        }

        return new ExplainContext(mlContext, model, task, request.Schema, classes);
    }

    private static MLTask ComponentsTask(ExplainRequest request) =>
        Components.ComponentRegistry.ValidateExperiment(request.TaskName, request.Schema);

    /// <summary>Samples rows of a split (see <see cref="RowTable.Sample"/>).</summary>
    public RowTable Sample(string path, int maxRows, int seed, bool labelled, CancellationToken cancellationToken) =>
        RowTable.Sample(MLContext, Schema, path, maxRows, seed, labelled, Classes, cancellationToken);
}

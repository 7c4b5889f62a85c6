using System.Text.Json.Nodes;
using DashAI.Functions.Datasets;
using DashAI.Functions.Experiments;
using DashAI.Functions.Runs;

namespace DashAI.Functions.Training;

/// <summary>What one training attempt works on; <see cref="WorkDirectory"/> is an empty folder of its own.</summary>
public sealed record TrainingWork(RunEntity Run, ExperimentEntity Experiment, DatasetEntity Dataset, string WorkDirectory);

/// <summary>The result of a training: the saved model file (inside the work directory), metrics per split and artifacts.</summary>
public sealed record TrainedRun(string ModelPath, JsonObject TrainMetrics, JsonObject ValidationMetrics, JsonObject TestMetrics, JsonObject Artifacts);

/// <summary>
/// Fits and evaluates a run's model. The seam between the queue state machine (<see cref="TrainingJobHandler"/>)
/// and machine learning; tests replace it to simulate crashes, slow fits and storage faults.
/// </summary>
public interface IRunTrainer
{
    /// <summary>
    /// Trains <paramref name="work"/>, calling <paramref name="reportStage"/> as it moves through loading, training,
    /// evaluating. Throws <see cref="DashAI.Functions.Jobs.PermanentJobException"/> (or <see cref="DashAI.ML.InvalidInputException"/>)
    /// for failures a retry cannot fix, and <see cref="OperationCanceledException"/> when cancelled.
    /// </summary>
    Task<TrainedRun> TrainAsync(TrainingWork work, Action<string> reportStage, CancellationToken cancellationToken);
}

/// <summary>The stages a STARTED run shows.</summary>
public static class TrainingStages
{
    public const string Loading = "loading";
    public const string Training = "training";
    public const string Evaluating = "evaluating";
    public const string Saving = "saving";
}

using System.Globalization;
using DashAI.Functions.Jobs;
using DashAI.Functions.Storage;
using Microsoft.Azure.Functions.Worker;

namespace DashAI.Functions.Training;

/// <summary>
/// The queue triggers. host.json sets one message per instance at a time, so jobs (training, predictions,
/// explainers, trials) scale out across instances rather than competing for one instance's cores.
/// </summary>
public sealed class TrainRunFunctions(JobWorker worker)
{
    [Function("TrainRun")]
    public Task Train(
        [QueueTrigger(StorageNames.TrainingQueue)] string message,
        FunctionContext context,
        CancellationToken cancellationToken) =>
        worker.ProcessAsync(message, DequeueCount(context), cancellationToken);

    /// <summary>Messages the host moved aside after maxDequeueCount failed deliveries.</summary>
    [Function("TrainRunPoison")]
    public Task Poison(
        [QueueTrigger(StorageNames.TrainingPoisonQueue)] string message,
        CancellationToken cancellationToken) =>
        worker.HandlePoisonAsync(message, cancellationToken);

    /// <summary>Every five minutes: re-sends the message of any running job whose attempt stopped beating.</summary>
    [Function("RecoverStaleJobs")]
    public Task Recover(
        [TimerTrigger("0 */5 * * * *")] TimerInfo timer,
        CancellationToken cancellationToken) =>
        worker.RecoverStaleJobsAsync(cancellationToken);

    private static long DequeueCount(FunctionContext context) =>
        context.BindingContext.BindingData.TryGetValue("DequeueCount", out var value)
        && long.TryParse(value?.ToString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var count)
            ? count
            : 1;
}

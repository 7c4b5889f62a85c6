using System.Text.Json.Nodes;
using DashAI.Functions.Training;

namespace DashAI.Functions.Tests.Infrastructure;

/// <summary>A stand-in for ML.NET in state-machine tests: each call runs <see cref="Behavior"/>.</summary>
public sealed class FakeTrainer : IRunTrainer
{
    private int _calls;

    public Func<int, TrainingWork, Action<string>, CancellationToken, Task<TrainedRun>> Behavior { get; set; } =
        (_, work, _, _) => Task.FromResult(Success(work));

    public int Calls => _calls;

    public Task<TrainedRun> TrainAsync(TrainingWork work, Action<string> reportStage, CancellationToken cancellationToken)
    {
        var call = Interlocked.Increment(ref _calls);
        return Behavior(call, work, reportStage, cancellationToken);
    }

    public static TrainedRun Success(TrainingWork work)
    {
        var model = Path.Combine(work.WorkDirectory, "model.zip");
        File.WriteAllText(model, $"model of run {work.Run.Id}");
        return new TrainedRun(
            model,
            new Dictionary<string, double?> { ["accuracy"] = 0.99 },
            new Dictionary<string, double?> { ["accuracy"] = 0.95 },
            new Dictionary<string, double?> { ["accuracy"] = 0.9 },
            new JsonObject { ["classes"] = new JsonArray("a", "b") });
    }
}

using System.Text.Json.Nodes;
using DashAI.ML.Training;

namespace DashAI.ML.Optimization;

/// <summary>One trial of a search: its number, the sampled values, the complete parameters and the outcome.</summary>
public sealed record SearchTrial(int Number, JsonObject Sampled, JsonObject Parameters, TrialOutcome Outcome);

/// <summary>A finished search: every trial, the best full trial and the refit of its parameters (train/validation/test metrics and the model).</summary>
public sealed record SearchResult(IReadOnlyList<SearchTrial> Trials, SearchTrial Best, TrainingResult Refit);

/// <summary>
/// A search in one process, trial after trial, with the samplers, successive halving and trial evaluation the
/// app's trial jobs use (the benchmark's <c>hpo</c> command and the tests run it).
/// </summary>
public static class SequentialSearch
{
    /// <summary>
    /// The history a sampler learns from: every trial with its value, a stopped trial with the value of the last
    /// rung it reached (worse than the trials that went on there, which is what the sampler should learn).
    /// </summary>
    public static CompletedTrial ToCompleted(JsonObject sampled, TrialOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        return new CompletedTrial(sampled, outcome.Value);
    }

    /// <summary>Whether <paramref name="candidate"/> beats <paramref name="best"/> (full trials only; ties keep the earlier one).</summary>
    public static bool IsBetter(double candidate, double? best, OptimizationDirection direction) =>
        best is not { } b || (direction == OptimizationDirection.Maximize ? candidate > b : candidate < b);

    /// <summary>
    /// Runs <see cref="OptimizerSettings.Trials"/> trials of <paramref name="plan"/> on the splits of
    /// <paramref name="request"/> (its parameters are ignored), then refits the best full trial's parameters with
    /// <see cref="Trainer.Train"/>. <paramref name="halving"/> null fits every trial in full.
    /// </summary>
    public static async Task<SearchResult> RunAsync(SearchPlan plan, TrainingRequest request, SuccessiveHalving? halving, IProgress<SearchTrial>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(request);
        var settings = plan.Optimizer;
        var sampler = settings.CreateSampler();
        var evaluator = TrialEvaluator.Prepare(request with { Parameters = plan.Fixed }, cancellationToken);
        var judge = halving is null ? null : new InMemoryRungJudge(halving, settings.Direction);
        var trials = new List<SearchTrial>();
        var history = new List<CompletedTrial>();
        SearchTrial? best = null;
        for (var number = 0; number < settings.Trials; number++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var sampled = sampler.Sample(plan.Space, history, settings.Direction, settings.Seed, number);
            var parameters = plan.TrialParameters(sampled);
            var outcome = await evaluator.EvaluateAsync(parameters, settings.Metric, judge, cancellationToken).ConfigureAwait(false);
            var trial = new SearchTrial(number, sampled, parameters, outcome);
            trials.Add(trial);
            history.Add(ToCompleted(sampled, outcome));
            if (!outcome.Stopped && IsBetter(outcome.Value, best?.Outcome.Value, settings.Direction))
            {
                best = trial;
            }

            progress?.Report(trial);
        }

        // The first trial of a rung is never stopped, so a search with one trial or more has a full trial.
        var refit = Trainer.Train(request with { Parameters = best!.Parameters }, null, cancellationToken);
        return new SearchResult(trials, best, refit);
    }
}

using System.Text.Json.Nodes;
using DashAI.ML.Data;
using DashAI.ML.Optimization;

namespace DashAI.ML.Tests.Optimization;

public class SearchTests
{
    private const string Tabular = "TabularClassificationTask";

    private static readonly JsonObject Space = JsonNode.Parse("""
        {"learning_rate": {"optimize": true, "lower_bound": 0.01, "upper_bound": 0.3},
         "number_of_leaves": {"optimize": true, "lower_bound": 4, "upper_bound": 16},
         "number_of_iterations": {"optimize": true, "lower_bound": 10, "upper_bound": 60},
         "minimum_example_count_per_leaf": 5}
        """)!.AsObject();

    private sealed class ScriptedJudge(params bool[] answers) : IRungJudge
    {
        public List<(int Rounds, double Value)> Reports { get; } = [];

        public SuccessiveHalving Halving { get; } = new(minimumResource: 5, reductionFactor: 2);

        public ValueTask<bool> ContinueAsync(int rounds, double value, CancellationToken cancellationToken)
        {
            Reports.Add((rounds, value));
            return ValueTask.FromResult(answers[Reports.Count - 1]);
        }
    }

    [Fact]
    public async Task ABoostedTrialReportsAtEachRungAndStopsWhenTheJudgeSaysSo()
    {
        var request = TestData.Iris.Request(Tabular, "LightGbmClassifier");
        var evaluator = TrialEvaluator.Prepare(request, CancellationToken.None);
        var parameters = JsonNode.Parse("""{"number_of_iterations": 30, "minimum_example_count_per_leaf": 5}""")!.AsObject();

        var stopped = new ScriptedJudge(true, false);
        var outcome = await evaluator.EvaluateAsync(parameters, "accuracy", stopped, CancellationToken.None);
        var full = new ScriptedJudge(true, true, true);
        var completed = await evaluator.EvaluateAsync(parameters, "accuracy", full, CancellationToken.None);
        var unjudged = await evaluator.EvaluateAsync(parameters, "accuracy", null, CancellationToken.None);

        Assert.True(outcome.Stopped);
        Assert.Equal([5, 10], stopped.Reports.Select(r => r.Rounds));
        Assert.Equal(outcome.Value, outcome.Rungs[^1].Value);
        Assert.Empty(outcome.ValidationMetrics);
        Assert.False(completed.Stopped);
        Assert.Equal([5, 10, 20], full.Reports.Select(r => r.Rounds));
        Assert.Equal(completed.Value, completed.ValidationMetrics["accuracy"]);
        Assert.Equal(unjudged.Value, completed.Value);
        Assert.Empty(unjudged.Rungs);
        Assert.InRange(completed.Value, 0.8, 1.0);
    }

    [Fact]
    public async Task ASearchRefitsTheBestFullTrialWhoseValidationMetricItReproduces()
    {
        var files = TestData.Wine;
        var plan = SearchPlan.Validate("LightGbmClassifier", Tabular, Space, JsonNode.Parse("""{"name": "TPE", "n_trials": 8, "seed": 4}""")!.AsObject());
        var request = files.Request(Tabular, "LightGbmClassifier", plan.Fixed);
        var reported = new List<SearchTrial>();

        var result = await SequentialSearch.RunAsync(plan, request, new SuccessiveHalving(minimumResource: 5, reductionFactor: 2), new SyncProgress<SearchTrial>(reported), CancellationToken.None);

        Assert.Equal(8, result.Trials.Count);
        Assert.Equal(Enumerable.Range(0, 8), result.Trials.Select(t => t.Number));
        Assert.Equal(result.Trials.Select(t => t.Number), reported.Select(t => t.Number));
        Assert.False(result.Best.Outcome.Stopped);
        Assert.Equal(result.Trials.Where(t => !t.Outcome.Stopped).Max(t => t.Outcome.Value), result.Best.Outcome.Value);
        Assert.Equal(result.Best.Outcome.Value, result.Refit.Metrics[SplitNames.Validation]["accuracy"], 9);
        Assert.Contains(SplitNames.Test, result.Refit.Metrics.Keys);
        Assert.All(result.Trials, t =>
        {
            Assert.InRange(t.Parameters["learning_rate"]!.GetValue<double>(), 0.01, 0.3);
            Assert.InRange(t.Parameters["number_of_leaves"]!.GetValue<long>(), 4, 16);
            Assert.Equal(5, t.Parameters["minimum_example_count_per_leaf"]!.GetValue<long>());
        });
    }

    [Fact]
    public async Task ATrialOfAModelWithoutBoostingRoundsIsFittedOnceWhateverTheJudge()
    {
        var evaluator = TrialEvaluator.Prepare(TestData.Iris.Request(Tabular, "LogisticRegression"), CancellationToken.None);
        var judge = new ScriptedJudge(false);

        var outcome = await evaluator.EvaluateAsync(JsonNode.Parse("""{"l2_regularization": 0.5}""")!.AsObject(), "log_loss", judge, CancellationToken.None);

        Assert.False(outcome.Stopped);
        Assert.Empty(judge.Reports);
        Assert.Equal(outcome.ValidationMetrics["log_loss"], outcome.Value);
    }

    [Fact]
    public async Task AMetricTheValidationSplitCannotDefineIsTheUsersToFix()
    {
        var evaluator = TrialEvaluator.Prepare(TestData.Iris.Request(Tabular, "LogisticRegression"), CancellationToken.None);

        var exception = await Assert.ThrowsAsync<InvalidInputException>(() => evaluator.EvaluateAsync([], "roc_auc", null, CancellationToken.None));

        Assert.Contains("'roc_auc' is undefined on the validation split", exception.Message, StringComparison.Ordinal);
    }

    private sealed class SyncProgress<T>(List<T> items) : IProgress<T>
    {
        public void Report(T value) => items.Add(value);
    }
}

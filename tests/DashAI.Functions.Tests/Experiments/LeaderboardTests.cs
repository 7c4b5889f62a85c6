using System.Text.Json.Nodes;
using DashAI.Functions.Experiments;
using DashAI.Functions.Explainers;
using DashAI.Functions.Runs;
using DashAI.Functions.Tests.Explainers;
using DashAI.Functions.Tests.Infrastructure;

namespace DashAI.Functions.Tests.Experiments;

public sealed class LeaderboardTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2026, 12, 5, 10, 0, 0, TimeSpan.Zero);

    private readonly TestApp _app = TestApp.Create();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private async Task<RunEntity> RunAsync(long experimentId, string name, RunStatus status, double? accuracy, double logLoss, double fitSeconds) =>
        await _app.Stores.Runs.CreateAsync(
            new RunEntity
            {
                ExperimentId = experimentId,
                ModelName = "LogisticRegression",
                Name = name,
                Parameters = """{"l2_regularization":1}""",
                Status = (int)status,
                ValidationMetrics = new JsonObject { ["accuracy"] = accuracy, ["log_loss"] = logLoss }.ToJsonString(),
                TestMetrics = new JsonObject { ["accuracy"] = 0.5, ["log_loss"] = 9.0 }.ToJsonString(),
                StartTime = Start,
                EndTime = Start.AddSeconds(fitSeconds),
            },
            default);

    private async Task<TestResponse> LeaderboardAsync(long experimentId, string? query = null) =>
        await _app.Invoke(_app.Request("GET", query: query), (r, ct) => _app.Function<LeaderboardFunctions>().Get(r, experimentId.ToString(System.Globalization.CultureInfo.InvariantCulture), ct));

    [Fact]
    public async Task FinishedRunsAreRankedByTheMetricWithTiesByFitTime()
    {
        var experiment = await Seed.Experiment(_app);
        var slowBest = await RunAsync(experiment.Id, "slow-best", RunStatus.Finished, 0.9, 0.3, 20);
        var fastBest = await RunAsync(experiment.Id, "fast-best", RunStatus.Finished, 0.9, 0.4, 5);
        var worst = await RunAsync(experiment.Id, "worst", RunStatus.Finished, 0.6, 0.2, 1);
        var undefined = await RunAsync(experiment.Id, "no-accuracy", RunStatus.Finished, null, 0.9, 1);
        await RunAsync(experiment.Id, "failed", RunStatus.Error, 0.99, 0.01, 1);
        await RunAsync((await Seed.Experiment(_app)).Id, "other-experiment", RunStatus.Finished, 0.99, 0.01, 1);

        var byAccuracy = (await LeaderboardAsync(experiment.Id)).AssertStatus(200).Json.AsArray();
        var byLogLoss = (await LeaderboardAsync(experiment.Id, "metric=log_loss&split=validation")).AssertStatus(200).Json.AsArray();
        var onTest = (await LeaderboardAsync(experiment.Id, "split=test")).AssertStatus(200).Json.AsArray();

        Assert.Equal([fastBest.Id, slowBest.Id, worst.Id, undefined.Id], byAccuracy.Select(e => e!["run_id"]!.GetValue<long>()));
        Assert.Equal([1, 2, 3, 4], byAccuracy.Select(e => e!["rank"]!.GetValue<int>()));
        var first = byAccuracy[0]!;
        Assert.Equal("accuracy", first["metric"]!.GetValue<string>());
        Assert.Equal(0.9, first["value"]!.GetValue<double>());
        Assert.Equal(5, first["fit_seconds"]!.GetValue<double>());
        Assert.Equal("LogisticRegression", first["model_name"]!.GetValue<string>());
        Assert.Equal(1, first["parameters"]!["l2_regularization"]!.GetValue<int>());
        Assert.Equal(0.4, first["metrics"]!["log_loss"]!.GetValue<double>());
        Assert.Null(byAccuracy[3]!["value"]);
        // Lower is better for log_loss.
        Assert.Equal([worst.Id, slowBest.Id, fastBest.Id, undefined.Id], byLogLoss.Select(e => e!["run_id"]!.GetValue<long>()));
        // All four have the same test accuracy: fit time decides.
        Assert.Equal([worst.Id, undefined.Id, fastBest.Id, slowBest.Id], onTest.Select(e => e!["run_id"]!.GetValue<long>()));
    }

    [Fact]
    public async Task AnUnknownMetricOrSplitIsABadRequestListingTheValidOnes()
    {
        var experiment = await Seed.Experiment(_app);
        var regression = await Seed.Experiment(_app, task: "RegressionTask");

        var metric = (await LeaderboardAsync(experiment.Id, "metric=r2")).AssertStatus(400);
        var split = (await LeaderboardAsync(experiment.Id, "split=holdout")).AssertStatus(400);
        var both = (await LeaderboardAsync(regression.Id, "metric=accuracy&split=x")).AssertStatus(400);
        (await LeaderboardAsync(999_999)).AssertStatus(404);

        Assert.Contains("Unknown metric 'r2' for TabularClassificationTask; valid metrics: accuracy, balanced_accuracy, precision_macro, recall_macro, f1_macro, f1_weighted, log_loss, roc_auc.", metric.Body, StringComparison.Ordinal);
        Assert.Contains("Unknown split 'holdout'; valid splits: train, validation, test.", split.Body, StringComparison.Ordinal);
        Assert.Equal(2, both.Json["errors"]!.AsArray().Count);
        Assert.Contains("valid metrics: rmse, mae, mse, r2", both.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ThePlotIsAPngOfTheStatedSize()
    {
        var experiment = await Seed.Experiment(_app);
        for (var i = 0; i < 12; i++)
        {
            await RunAsync(experiment.Id, $"run-{i}", RunStatus.Finished, 0.5 + (i / 30.0), 0.5, i);
        }

        var empty = await Seed.Experiment(_app);

        var plot = await _app.Invoke(_app.Request("GET", query: "metric=accuracy"), (r, ct) => _app.Function<LeaderboardFunctions>().Plot(r, experiment.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), ct));
        var none = await _app.Invoke(_app.Request("GET"), (r, ct) => _app.Function<LeaderboardFunctions>().Plot(r, empty.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), ct));
        var refused = await _app.Invoke(_app.Request("GET", query: "metric=rmse"), (r, ct) => _app.Function<LeaderboardFunctions>().Plot(r, experiment.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), ct));

        ExplainerFunctionsTests.AssertPng(plot.AssertStatus(200));
        ExplainerFunctionsTests.AssertPng(none.AssertStatus(200));
        refused.AssertStatus(400);
    }
}

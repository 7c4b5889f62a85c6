using Azure.Data.Tables;
using DashAI.Functions.Http;
using DashAI.Functions.OpenApi;
using DashAI.Functions.Storage;
using DashAI.ML.Plots;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace DashAI.Functions.Experiments;

/// <summary>Compares an experiment's runs: the ranking by a metric and its chart.</summary>
public sealed class LeaderboardFunctions(Stores stores)
{
    [Function("GetLeaderboard")]
    [ApiOperation("Rank an experiment's finished runs by a metric of its task (ties by training time)", Response = typeof(LeaderboardEntryDto[]), Query = typeof(LeaderboardQuery), Errors = [400, 404])]
    public async Task<IResult> Get(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "experiment/{id}/leaderboard")] HttpRequest request,
        string id,
        CancellationToken cancellationToken)
    {
        var (_, entries) = await RankAsync(request, id, cancellationToken);
        return TypedResults.Ok(entries);
    }

    [Function("GetLeaderboardPlot")]
    [ApiOperation("Draw an experiment's finished runs side by side by a metric (PNG, 1200 x 800)", Response = typeof(Stream), ResponseMediaType = "image/png", Query = typeof(LeaderboardQuery), Errors = [400, 404])]
    public async Task<IResult> Plot(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "experiment/{id}/leaderboard/plot")] HttpRequest request,
        string id,
        CancellationToken cancellationToken)
    {
        var (context, entries) = await RankAsync(request, id, cancellationToken);
        var png = LeaderboardChart.Render(
            context.Experiment.Name,
            context.Metric.Name,
            context.Split,
            context.Metric.HigherIsBetter,
            [.. entries.Select(e => new LeaderboardBar($"{e.Name} ({e.ModelName})", e.Value))]);
        return TypedResults.File(png, "image/png");
    }

    private async Task<((ExperimentEntity Experiment, DashAI.ML.Metrics.MetricDefinition Metric, string Split) Context, List<LeaderboardEntryDto> Entries)> RankAsync(
        HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var input = await RequestInput.ReadAsync(request, ["metric", "split"], cancellationToken);
        var experiment = await stores.Experiments.GetAsync(RequestInput.ParseId(id), cancellationToken);
        var (metric, split) = Leaderboard.Choose(experiment.TaskName, input.GetString("metric"), input.GetString("split"));
        // One partition query over the runs of this experiment.
        var runs = await stores.Runs.ListAsync(TableClient.CreateQueryFilter($"ExperimentId eq {experiment.Id}"), cancellationToken);
        return ((experiment, metric, split), Leaderboard.Rank(runs, metric, split));
    }
}

using System.Text.Json.Nodes;
using Azure.Data.Tables;
using DashAI.Functions.Http;
using DashAI.Functions.OpenApi;
using DashAI.Functions.Storage;
using DashAI.ML.Metrics;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace DashAI.Functions.Search;

/// <summary>A trial of a tuned run's search as the API returns it.</summary>
public sealed record TrialDto(
    long Id,
    long RunId,
    [property: ApiDescription("0-based number of the trial in its search (the order the sampler proposed them).")] int Number,
    long? JobId,
    [property: ApiDescription("queued, running, finished (fitted in full), stopped (by successive halving at a rung), error or cancelled.")] string Status,
    [property: ApiDescription("The sampled values of the searched parameters.")] JsonNode? Parameters,
    [property: ApiDescription("The optimizer's metric on validation: of the full fit, or at the last rung reached when stopped.")] double? Value,
    [property: ApiDescription("Every validation metric of the full fit.")] JsonNode? ValidationMetrics,
    [property: ApiDescription("The metric at each rung of boosting rounds reached (rounds → value).")] JsonNode? Rungs,
    double? FitSeconds,
    DateTime Created,
    DateTime? StartTime,
    DateTime? EndTime,
    string? Error)
{
    public static TrialDto From(TrialEntity t) => new(
        t.Id, t.RunId, t.Number, t.JobId, t.Status, JsonText.Parse(t.Parameters), t.Value, JsonText.Parse(t.ValidationMetrics),
        JsonText.Parse(t.Rungs), t.FitSeconds, t.Created.UtcDateTime, JsonText.Utc(t.StartTime), JsonText.Utc(t.EndTime), t.Error);
}

/// <summary>The trials of a tuned run: the list and the optimization history plot.</summary>
public sealed class TrialFunctions(Stores stores, SearchCoordinator search)
{
    [Function("ListRunTrials")]
    [ApiOperation("List the trials of a tuned run's latest search, in trial creation order", Response = typeof(TrialDto[]), Errors = [400, 404])]
    public async Task<IResult> List(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "run/{id}/trials")] HttpRequest request,
        string id,
        CancellationToken cancellationToken)
    {
        await RequestInput.ReadAsync(request, [], cancellationToken);
        var run = await stores.Runs.GetAsync(RequestInput.ParseId(id), cancellationToken);
        var searchJobId = run.JobId ?? 0;
        // Access pattern: one partition scan filtered on run and search job, paged by id.
        var filter = TableClient.CreateQueryFilter($"RunId eq {run.Id} and SearchJobId eq {searchJobId}");
        return await PageRequest.From(request).ListAsync(request, stores.Trials, filter, TrialDto.From, cancellationToken);
    }

    [Function("PlotRunTrials")]
    [ApiOperation("Draw a tuned run's optimization history: the metric of every trial and the best so far (PNG)", Response = typeof(Stream), ResponseMediaType = "image/png", Errors = [400, 404])]
    public async Task<IResult> Plot(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "run/{id}/trials/plot")] HttpRequest request,
        string id,
        CancellationToken cancellationToken)
    {
        await RequestInput.ReadAsync(request, [], cancellationToken);
        var run = await stores.Runs.GetAsync(RequestInput.ParseId(id), cancellationToken);
        if (!SearchCoordinator.IsTuned(run))
        {
            throw new NotFoundException($"Run {run.Id} is not a tuned run: it has no trials to plot.");
        }

        var metricName = JsonText.Parse(run.Optimizer)?["metric"]?.GetValue<string>() ?? "metric";
        var higherIsBetter = MetricCatalog.Find(metricName)?.HigherIsBetter ?? true;
        var trials = run.JobId is { } searchJobId ? await search.ListTrialsAsync(run.Id, searchJobId, cancellationToken) : [];
        var png = TrialPlot.Draw(trials, metricName, higherIsBetter);
        return TypedResults.File(png, "image/png", $"run-{run.Id}-trials.png");
    }
}

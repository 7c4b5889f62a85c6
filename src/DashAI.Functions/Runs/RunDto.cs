using System.Text.Json.Nodes;
using DashAI.Functions.Http;
using DashAI.Functions.OpenApi;

namespace DashAI.Functions.Runs;

/// <summary>A run as the API returns it (thesis fields, plus training progress while it runs).</summary>
public sealed record RunDto(
    long Id,
    long ExperimentId,
    DateTime Created,
    DateTime LastModified,
    string ModelName,
    JsonNode? Parameters,
    IReadOnlyDictionary<string, double?>? TrainMetrics,
    IReadOnlyDictionary<string, double?>? ValidationMetrics,
    IReadOnlyDictionary<string, double?>? TestMetrics,
    JsonNode? Artifacts,
    string Name,
    string? Description,
    string? RunPath,
    [property: ApiValues(typeof(RunStatus))] int Status,
    DateTime? DeliveryTime,
    DateTime? StartTime,
    DateTime? EndTime,
    string? Stage,
    DateTime? Heartbeat,
    string? Error,
    long? JobId,
    int Seed,
    string? DatasetSha256,
    [property: ApiDescription("A tuned run's optimizer (name, n_trials, metric, seed, parallelism); null for a plain run.")] JsonNode? Optimizer,
    [property: ApiDescription("A tuned run's optimize specs (parameter → {optimize, lower_bound, upper_bound} or {optimize, choices}).")] JsonNode? SearchSpace,
    [property: ApiDescription("Trials done (finished, stopped early or failed) of a tuned run's search.")] int? TrialsDone,
    [property: ApiDescription("Trials the search runs in all.")] int? TrialsTotal,
    [property: ApiDescription("The best validation value of the optimizer's metric among the trials fitted in full so far.")] double? BestValidationMetric,
    [property: ApiDescription("The sampled values of the best trial so far.")] JsonNode? BestParameters)
{
    public static RunDto From(RunEntity e) => new(
        e.Id, e.ExperimentId, e.Created.UtcDateTime, e.LastModified.UtcDateTime, e.ModelName, JsonText.Parse(e.Parameters),
        RunMetrics.Read(e.TrainMetrics), RunMetrics.Read(e.ValidationMetrics), RunMetrics.Read(e.TestMetrics),
        JsonText.Parse(e.Artifacts), e.Name, e.Description, e.RunPath, e.Status, JsonText.Utc(e.DeliveryTime),
        JsonText.Utc(e.StartTime), JsonText.Utc(e.EndTime), e.Stage, JsonText.Utc(e.Heartbeat), e.Error, e.JobId,
        e.Seed, e.DatasetSha256, JsonText.Parse(e.Optimizer), JsonText.Parse(e.SearchSpace), e.TrialsDone, e.TrialsTotal,
        e.BestValue, JsonText.Parse(e.BestParameters));
}

using System.Text.Json.Nodes;
using DashAI.Functions.Http;
using DashAI.Functions.OpenApi;
using DashAI.ML.Explainers;

namespace DashAI.Functions.Explainers;

/// <summary>An explainer as the API returns it.</summary>
public sealed record ExplainerDto(
    long Id,
    long RunId,
    string ExplainerName,
    [property: ApiDescription("global (the model as a whole) or local (given rows).")] string Scope,
    JsonNode? Parameters,
    [property: ApiValues(typeof(ExplainerStatus))] int Status,
    long? JobId,
    DateTime Created,
    DateTime? StartTime,
    DateTime? EndTime,
    string? Stage,
    [property: ApiDescription("While scoring: rows scored so far.")] long? Done,
    [property: ApiDescription("While scoring: rows to score in all.")] long? Total,
    DateTime? Heartbeat,
    string? Error,
    [property: ApiDescription("The explainer's result once FINISHED (see README, Explainers).")] JsonNode? Result,
    [property: ApiDescription("Plots stored: GET /explainer/{id}/plot?row=0..plot_count-1 (one per row for a local explainer).")] int PlotCount)
{
    public static ExplainerDto From(ExplainerEntity e) => new(
        e.Id,
        e.RunId,
        e.ExplainerName,
        ExplainerCatalog.Find(e.ExplainerName)?.Scope == ExplainerScope.Local ? "local" : "global",
        JsonText.Parse(e.Parameters),
        e.Status,
        e.JobId,
        e.Created.UtcDateTime,
        JsonText.Utc(e.StartTime),
        JsonText.Utc(e.EndTime),
        e.Stage,
        e.Done,
        e.Total,
        JsonText.Utc(e.Heartbeat),
        e.Error,
        JsonText.Parse(e.Result),
        e.PlotCount);
}

/// <summary>The body of <c>POST /explainer</c>.</summary>
public sealed record ExplainerCreate(
    long RunId,
    [property: ApiDescription("PermutationFeatureImportance, PartialDependence or FeatureContributions (GET /component?select_types=Explainer).")] string ExplainerName,
    [property: ApiDescription("Validated against the explainer's parameter schema; defaults are filled and stored.")] JsonObject? Parameters);

/// <summary>The query of <c>GET /explainer</c>.</summary>
public sealed record ExplainerListQuery([property: ApiDescription("Only the explainers of this run.")] long? RunId);

/// <summary>The query of <c>GET /explainer/{id}/plot</c>.</summary>
public sealed record ExplainerPlotQuery([property: ApiDescription("Which row's plot (local explainers); default 0.")] int? Row);

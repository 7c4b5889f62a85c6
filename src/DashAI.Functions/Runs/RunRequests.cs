using System.Text.Json.Nodes;
using DashAI.Functions.Http;
using DashAI.Functions.OpenApi;

namespace DashAI.Functions.Runs;

/// <summary>
/// The fields of <c>POST /run</c>. In the thesis form the scalar fields are query parameters and the body is the
/// parameters object itself.
/// </summary>
public sealed record RunCreate(
    long ExperimentId,
    [property: ApiDescription("A model from GET /component?select_types=Model&related_component=<task>.")] string ModelName,
    string Name,
    string? Description,
    [property: ApiDescription("The model's parameters; omitted ones get their defaults (see the model's parameter_schema). A parameter given as {\"optimize\": true, \"lower_bound\": a, \"upper_bound\": b} or {\"optimize\": true, \"choices\": [...]} is searched (with an optimizer).")] JsonObject? Parameters,
    [property: ApiDescription("Random seed, 0 to 2147483647 (default 42).")] long? Seed,
    [property: ApiDescription("For a tuned run: {\"name\": \"TPE\"|\"Random\", \"n_trials\": 1-500, \"metric\", \"seed\", \"parallelism\"} (GET /component?select_types=Optimizer).")] JsonObject? Optimizer = null);

/// <summary>The fields <c>PATCH /run/{id}</c> changes (the thesis form sends the parameters object as the whole body).</summary>
public sealed record RunUpdate([property: BindAlias("name")] string? RunName, [property: BindAlias("description")] string? RunDescription, JsonObject? Parameters, JsonObject? Optimizer);

/// <summary>The query of <c>GET /run</c>.</summary>
public sealed record RunListQuery([property: ApiDescription("Only the runs of this experiment.")] long? ExperimentId);

using DashAI.Functions.OpenApi;

namespace DashAI.Functions.Experiments;

/// <summary>The fields of <c>POST /experiment</c>.</summary>
public sealed record ExperimentCreate(long DatasetId, [property: ApiDescription("A task from GET /component?select_types=Task that fits the dataset.")] string TaskName, string Name);

/// <summary>The fields <c>PATCH /experiment/{id}</c> changes.</summary>
public sealed record ExperimentUpdate(string? Name, string? TaskName, long? DatasetId);

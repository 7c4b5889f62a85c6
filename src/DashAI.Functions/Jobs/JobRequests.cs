using DashAI.Functions.OpenApi;

namespace DashAI.Functions.Jobs;

/// <summary>The query of <c>POST /job/runner</c>.</summary>
public sealed record EnqueueQuery([property: ApiDescription("The run to train.")] long RunId);

/// <summary>The query of <c>GET /job</c>.</summary>
public sealed record JobListQuery([property: ApiValues(typeof(JobStatus), "all"), ApiDescription("Default: the active jobs (queued and running).")] string? Status);

/// <summary>The query of the thesis form <c>DELETE /job?job_id=N</c>.</summary>
public sealed record CancelJobQuery(long JobId);

using DashAI.Functions.OpenApi;

namespace DashAI.Functions.Jobs;

/// <summary>A job as the API returns it.</summary>
public sealed record JobDto(
    long Id,
    int Type,
    long RunId,
    long? TargetId,
    [property: ApiValues(typeof(JobStatus))] string Status,
    DateTime Created,
    DateTime LastModified,
    DateTime? Started,
    DateTime? Finished,
    int Attempts,
    string? Error,
    bool CancelRequested,
    DateTime? Heartbeat)
{
    public static JobDto From(JobEntity e) => new(
        e.Id, e.Type, e.RunId, e.TargetId, e.Status, e.Created.UtcDateTime, e.LastModified.UtcDateTime, e.Started?.UtcDateTime,
        e.Finished?.UtcDateTime, e.Attempts, e.Error, e.CancelRequested, e.Heartbeat?.UtcDateTime);
}

using System.Text.Json;
using System.Text.Json.Serialization;

namespace DashAI.Functions.Jobs;

/// <summary>
/// A queue message: ids only, never payloads. <see cref="Type"/> picks the handler; <see cref="TargetId"/> is what the
/// job works on (a prediction, an explainer, a trial), absent for training, whose target is the run. Messages written
/// before job types existed (<c>{"job_id":…,"run_id":…}</c>) read as training messages.
/// </summary>
public sealed record JobMessage(
    [property: JsonPropertyName("job_id")] long JobId,
    [property: JsonPropertyName("run_id")] long RunId,
    [property: JsonPropertyName("type")] int Type = JobTypes.Train,
    [property: JsonPropertyName("target_id")][property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? TargetId = null)
{
    /// <summary>The message of an existing job.</summary>
    public static JobMessage For(JobEntity job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return new JobMessage(job.Id, job.RunId, job.Type, job.TargetId);
    }

    /// <summary>The id of what the job works on: the target, or the run for training.</summary>
    [JsonIgnore]
    public long Target => TargetId ?? RunId;

    public string ToJson() => JsonSerializer.Serialize(this);

    public static JobMessage? TryParse(string text)
    {
        try
        {
            var message = JsonSerializer.Deserialize<JobMessage>(text);
            return message is { JobId: > 0, RunId: > 0, Type: >= 0 } && message.TargetId is null or > 0 ? message : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

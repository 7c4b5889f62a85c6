using System.Text.Json;
using System.Text.Json.Serialization;

namespace DashAI.Functions.Training;

/// <summary>The training queue message: ids only, never payloads.</summary>
public sealed record TrainingMessage(
    [property: JsonPropertyName("job_id")] long JobId,
    [property: JsonPropertyName("run_id")] long RunId)
{
    public string ToJson() => JsonSerializer.Serialize(this);

    public static TrainingMessage? TryParse(string text)
    {
        try
        {
            var message = JsonSerializer.Deserialize<TrainingMessage>(text);
            return message is { JobId: > 0, RunId: > 0 } ? message : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

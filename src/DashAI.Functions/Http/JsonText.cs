using System.Text.Json.Nodes;

namespace DashAI.Functions.Http;

/// <summary>Stored JSON columns to and from API values.</summary>
public static class JsonText
{
    public static JsonNode? Parse(string? json) => string.IsNullOrEmpty(json) ? null : JsonNode.Parse(json);

    public static string? Write(JsonNode? node) => node?.ToJsonString();

    public static DateTime? Utc(DateTimeOffset? time) => time?.UtcDateTime;
}

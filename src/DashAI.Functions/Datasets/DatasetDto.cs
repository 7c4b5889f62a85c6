using System.Text.Json.Nodes;
using DashAI.Functions.Http;

namespace DashAI.Functions.Datasets;

/// <summary>A dataset as the API returns it.</summary>
public sealed record DatasetDto(
    long Id,
    string Name,
    string TaskName,
    DateTime Created,
    DateTime LastModified,
    string FilePath,
    string? Dataloader,
    string? FileName,
    long UploadBytes,
    string? Sha256,
    long Rows,
    JsonNode? RowsPerSplit,
    JsonNode? Columns,
    JsonNode? InputColumns,
    JsonNode? OutputColumns,
    JsonNode? Splits)
{
    public static DatasetDto From(DatasetEntity e) => new(
        e.Id, e.Name, e.TaskName, e.Created.UtcDateTime, e.LastModified.UtcDateTime, e.FilePath, e.Dataloader, e.FileName,
        e.UploadBytes, e.Sha256, e.Rows, JsonText.Parse(e.RowsPerSplit), JsonText.Parse(e.Columns),
        JsonText.Parse(e.InputColumns), JsonText.Parse(e.OutputColumns), JsonText.Parse(e.Splits));
}

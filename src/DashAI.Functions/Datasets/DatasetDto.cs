
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
    IReadOnlyDictionary<string, long>? RowsPerSplit,
    IReadOnlyList<DatasetColumn>? Columns,
    IReadOnlyList<string>? InputColumns,
    IReadOnlyList<string>? OutputColumns,
    DatasetSplits? Splits)
{
    public static DatasetDto From(DatasetEntity e) => new(
        e.Id, e.Name, e.TaskName, e.Created.UtcDateTime, e.LastModified.UtcDateTime, e.FilePath, e.Dataloader, e.FileName,
        e.UploadBytes, e.Sha256, e.Rows, DatasetSchemaJson.ReadRowsPerSplit(e.RowsPerSplit), DatasetSchemaJson.ReadColumns(e.Columns),
        DatasetSchemaJson.ReadNames(e.InputColumns), DatasetSchemaJson.ReadNames(e.OutputColumns), DatasetSchemaJson.ReadSplits(e.Splits));
}

using System.Text.Json.Nodes;
using DashAI.Functions.OpenApi;
using DashAI.ML.Data;

namespace DashAI.Functions.Datasets;

/// <summary>The multipart form of <c>POST /dataset</c>, as the OpenAPI document describes it.</summary>
public sealed record DatasetUploadForm(
    [property: ApiDescription("The thesis upload parameters as JSON: task_name, dataloader, dataset_name, outputs_columns, splits, dataloader_params.")] string Params,
    [property: ApiDescription("The data file (CSV, JSON or NDJSON); send this or url.")] Stream? File,
    [property: ApiDescription("A public http(s) address to fetch the data from; send this or file.")] string? Url);

/// <summary>The fields <c>PATCH /dataset/{id}</c> changes.</summary>
public sealed record DatasetUpdate(string? Name, [property: ApiDescription("A task from GET /component?select_types=Task.")] string? TaskName);

/// <summary>The query of <c>GET /dataset/{id}/sample</c>.</summary>
public sealed record DatasetSampleQuery(
    [property: ApiValues(typeof(SplitNames))] string? Split,
    [property: ApiDescription("How many rows, 1 to 1000 (default 10).")] long? N);

/// <summary>What <c>GET /dataset/{id}/info</c> returns.</summary>
public sealed record DatasetInfoDto(
    long Id,
    string Name,
    string TaskName,
    long Rows,
    IReadOnlyDictionary<string, long>? RowsPerSplit,
    IReadOnlyList<DatasetColumn>? Columns,
    IReadOnlyList<string>? InputColumns,
    IReadOnlyList<string>? OutputColumns,
    long UploadBytes,
    string? Sha256,
    DatasetSplits? Splits);

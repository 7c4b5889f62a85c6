using System.Text.Json.Nodes;
using DashAI.Functions.Http;
using DashAI.Functions.OpenApi;

namespace DashAI.Functions.Predictions;

/// <summary>A batch prediction as the API returns it.</summary>
public sealed record PredictionDto(
    long Id,
    long RunId,
    long? DatasetId,
    string? FileName,
    string Dataloader,
    [property: ApiValues(typeof(PredictionStatus))] string Status,
    long? JobId,
    [property: ApiDescription("Rows scored so far (while running) or in all.")] long RowsScored,
    JsonNode? PredictionColumns,
    JsonNode? Warnings,
    string? Error,
    DateTime Created,
    DateTime LastModified,
    DateTime? StartTime,
    DateTime? EndTime,
    DateTime? Heartbeat)
{
    public static PredictionDto From(PredictionEntity e) => new(
        e.Id, e.RunId, e.DatasetId, e.FileName, e.Dataloader, e.Status, e.JobId, e.RowsScored, JsonText.Parse(e.PredictionColumns),
        JsonText.Parse(e.Warnings), e.Error, e.Created.UtcDateTime, e.LastModified.UtcDateTime, e.StartTime?.UtcDateTime,
        e.EndTime?.UtcDateTime, e.Heartbeat?.UtcDateTime);
}

/// <summary>The JSON body of <c>POST /prediction</c> for a stored dataset (a file is sent as multipart instead).</summary>
public sealed record PredictionCreate(
    [property: ApiDescription("The finished run whose model scores.")] long RunId,
    [property: ApiDescription("A dataset with the run's input columns: all its rows are scored, in their original order.")] long DatasetId);

/// <summary>The multipart form of <c>POST /prediction</c> with a file.</summary>
public sealed record PredictionUploadForm(
    [property: ApiDescription("JSON: {\"run_id\": N, \"dataloader\": \"CSVDataLoader\" or \"JSONDataLoader\", \"dataloader_params\": {…}} as in a dataset upload.")] string Params,
    [property: ApiDescription("The CSV or JSON file to score (the dataset upload's size limit).")] byte[] File);

/// <summary>The query of <c>GET /prediction</c>.</summary>
public sealed record PredictionListQuery([property: ApiDescription("Only the predictions of this run.")] long? RunId);

/// <summary>The JSON body of <c>POST /run/{id}/predict</c> (or a text/csv body with a header row).</summary>
public sealed record PredictRequest([property: ApiDescription("Rows to score: objects of column → value (at most 10,000 rows, 10 MB).")] JsonArray Rows);

/// <summary>One prediction: classification has label and probabilities, regression value.</summary>
public sealed record PredictedRow(
    [property: ApiDescription("The predicted class (a number when the classes are integers).")] JsonNode? Label,
    [property: ApiDescription("Class → probability; they sum to 1.")] Dictionary<string, double>? Probabilities,
    [property: ApiDescription("The predicted value (regression).")] double? Value);

/// <summary>What <c>POST /run/{id}/predict</c> answers.</summary>
public sealed record PredictResponse(IReadOnlyList<PredictedRow> Predictions, IReadOnlyList<string> Warnings);

/// <summary>The query of <c>GET /run/{id}/model</c>.</summary>
public sealed record ModelQuery([property: ApiValues(typeof(ModelFormats)), ApiDescription("zip (default, the ML.NET model) or onnx.")] string? Format);

/// <summary>The formats a run's model downloads in.</summary>
public static class ModelFormats
{
    public const string Zip = "zip";
    public const string Onnx = "onnx";
}

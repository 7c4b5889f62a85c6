using System.Globalization;
using System.Text.Json.Nodes;
using Azure;
using DashAI.Functions.Http;
using DashAI.Functions.OpenApi;
using DashAI.Functions.Storage;
using DashAI.ML.Data;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using nietras.SeparatedValues;

namespace DashAI.Functions.Datasets;

/// <summary>A dataset's schema, a peek at its rows, and its original file.</summary>
public sealed class DatasetFileFunctions(Stores stores)
{
    public const int MaxSampleRows = 1000;


    [Function("GetDatasetInfo")]
    [ApiOperation("Read a dataset's size, columns and splits", Response = typeof(DatasetInfoDto), Errors = [400, 404])]
    public async Task<IResult> Info(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "dataset/{id}/info")] HttpRequest request,
        string id,
        CancellationToken cancellationToken)
    {
        var dataset = await stores.Datasets.GetAsync(RequestInput.ParseId(id), cancellationToken);
        return TypedResults.Ok(new DatasetInfoDto(
            dataset.Id, dataset.Name, dataset.TaskName, dataset.Rows, DatasetSchemaJson.ReadRowsPerSplit(dataset.RowsPerSplit),
            DatasetSchemaJson.ReadColumns(dataset.Columns), DatasetSchemaJson.ReadNames(dataset.InputColumns),
            DatasetSchemaJson.ReadNames(dataset.OutputColumns), dataset.UploadBytes, dataset.Sha256, DatasetSchemaJson.ReadSplits(dataset.Splits)));
    }

    [Function("GetDatasetSample")]
    [ApiOperation("Read the first rows of one split of a dataset", Response = typeof(System.Text.Json.Nodes.JsonObject[]), Query = typeof(DatasetSampleQuery), Errors = [400, 404])]
    public async Task<IResult> Sample(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "dataset/{id}/sample")] HttpRequest request,
        string id,
        CancellationToken cancellationToken)
    {
        var query = await RequestInput.BindAsync<DatasetSampleQuery>(request, cancellationToken);
        var split = query.Split ?? SplitNames.Train;
        if (!SplitNames.All.Contains(split))
        {
            throw new BadRequestException($"'split' must be one of {string.Join(", ", SplitNames.All)}.");
        }

        var n = query.N ?? 10;
        if (n is < 1 or > MaxSampleRows)
        {
            throw new BadRequestException($"'n' must be between 1 and {MaxSampleRows}.");
        }

        var dataset = await stores.Datasets.GetAsync(RequestInput.ParseId(id), cancellationToken);
        var schema = DatasetSchemaJson.FromEntity(dataset) ?? throw new NotFoundException($"Dataset {dataset.Id} has no stored splits.");
        var blob = stores.Storage.Container(stores.Storage.Names.DatasetsContainer).GetBlobClient(DatasetBlobs.Split(dataset.Id, split));
        Stream stream;
        try
        {
            stream = await blob.OpenReadAsync(cancellationToken: cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            throw new NotFoundException($"The {split} split of dataset {dataset.Id} is missing.");
        }

        var rows = new JsonArray();
        await using (stream)
        {
            using var reader = Sep.Reader(o => o with { Unescape = true, DisableColCountCheck = false }).From(stream);
            var names = reader.Header.ColNames;
            var types = names.Select(c => schema[c].Type).ToArray();
            foreach (var row in reader)
            {
                if (rows.Count >= n)
                {
                    break;
                }

                var record = new JsonObject();
                for (var i = 0; i < names.Count; i++)
                {
                    record[names[i]] = Typed(row[i].ToString(), types[i]);
                }

                rows.Add(record);
            }
        }

        return TypedResults.Ok(rows);
    }

    [Function("GetDatasetFile")]
    [ApiOperation("Download the file a dataset was uploaded from", Response = typeof(Stream), ResponseMediaType = "application/octet-stream", Errors = [400, 404])]
    public async Task<IResult> File(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "dataset/{id}/file")] HttpRequest request,
        string id,
        CancellationToken cancellationToken)
    {
        var dataset = await stores.Datasets.GetAsync(RequestInput.ParseId(id), cancellationToken);
        var blob = stores.Storage.Container(stores.Storage.Names.DatasetsContainer).GetBlobClient(DatasetBlobs.Original(dataset.Id));
        var name = string.IsNullOrEmpty(dataset.FileName) ? $"dataset-{dataset.Id}" : Path.GetFileName(dataset.FileName);
        return await ApiResults.BlobAsync(blob, "application/octet-stream", name, $"The original file of dataset {dataset.Id} is missing.", cancellationToken);
    }

    private static JsonNode? Typed(string value, ColumnType type)
    {
        if (value.Length == 0)
        {
            return null;
        }

        return type switch
        {
            ColumnType.Integer when long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) => l,
            ColumnType.Float when double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
            ColumnType.Boolean when bool.TryParse(value, out var b) => b,
            _ => value,
        };
    }
}

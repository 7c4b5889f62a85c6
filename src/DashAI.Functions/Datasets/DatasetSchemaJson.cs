using System.Text.Json.Nodes;
using DashAI.ML.Data;

namespace DashAI.Functions.Datasets;

/// <summary>The inferred schema as stored on the dataset entity and shown by the API, and back.</summary>
public static class DatasetSchemaJson
{
    public static string Columns(DatasetSchema schema) =>
        new JsonArray(schema.Columns.Select(c => (JsonNode)new JsonObject
        {
            ["name"] = c.Name,
            ["type"] = c.Type.ToString().ToLowerInvariant(),
            ["missing_count"] = c.MissingCount,
            ["distinct_count"] = c.DistinctCount,
        }).ToArray()).ToJsonString();

    public static string Names(IEnumerable<string> names) => new JsonArray(names.Select(n => (JsonNode)n!).ToArray()).ToJsonString();

    /// <summary>Rebuilds the schema training needs; null when the dataset was never ingested.</summary>
    public static DatasetSchema? FromEntity(DatasetEntity dataset)
    {
        if (dataset.Columns is null || dataset.InputColumns is null || dataset.OutputColumns is null)
        {
            return null;
        }

        var columns = JsonNode.Parse(dataset.Columns)!.AsArray().Select(c => new ColumnInfo(
            c!["name"]!.GetValue<string>(),
            Enum.Parse<ColumnType>(c["type"]!.GetValue<string>(), ignoreCase: true),
            c["missing_count"]!.GetValue<long>(),
            c["distinct_count"]!.GetValue<long>())).ToList();
        return new DatasetSchema(columns, ReadNames(dataset.InputColumns), ReadNames(dataset.OutputColumns));
    }

    private static List<string> ReadNames(string json) => JsonNode.Parse(json)!.AsArray().Select(n => n!.GetValue<string>()).ToList();
}

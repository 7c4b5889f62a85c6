using System.Text.Json.Nodes;

namespace DashAI.ML.Data;

/// <summary>A dataloader the registry lists: its name, what it reads, and a JSON Schema of its parameters.</summary>
public sealed record DataLoaderInfo(string Name, string Description, JsonObject ParameterSchema);

/// <summary>The dataloaders that ingestion understands.</summary>
public static class DataLoaderCatalog
{
    public const string Csv = "CSVDataLoader";
    public const string Json = "JSONDataLoader";

    private const string SchemaDialect = "https://json-schema.org/draft/2020-12/schema";

    /// <remarks>Each call returns fresh schema objects, because a JsonNode can have only one parent.</remarks>
    public static IReadOnlyList<DataLoaderInfo> All =>
    [
        new(Csv, "Reads delimited text files (CSV, TSV).", CsvSchema()),
        new(Json, "Reads a JSON list of records, or an object holding one under data_key.", JsonSchema()),
    ];

    private static JsonObject CsvSchema() => new()
    {
        ["$schema"] = SchemaDialect,
        ["title"] = "CSVDataLoader parameters",
        ["type"] = "object",
        ["additionalProperties"] = false,
        ["properties"] = new JsonObject
        {
            ["separator"] = new JsonObject
            {
                ["type"] = "string",
                ["minLength"] = 1,
                ["maxLength"] = 1,
                ["default"] = ",",
                ["description"] = "The character between fields: ',' for CSV, '\\t' for TSV, ';' for files with a decimal comma.",
            },
            ["header"] = new JsonObject
            {
                ["type"] = "boolean",
                ["default"] = true,
                ["description"] = "Whether the first row holds the column names (each non-empty and unique); without one, columns are named column_0, column_1, ...",
            },
            ["encoding"] = new JsonObject
            {
                ["type"] = "string",
                ["enum"] = new JsonArray("utf-8", "latin1", "cp1252"),
                ["default"] = "utf-8",
                ["description"] = "The text encoding of the file. Bytes that are not valid in it are rejected with their row.",
            },
            ["decimal"] = new JsonObject
            {
                ["type"] = "string",
                ["enum"] = new JsonArray(".", ","),
                ["default"] = ".",
                ["description"] = "The decimal point of numbers in the file.",
            },
        },
    };

    private static JsonObject JsonSchema() => new()
    {
        ["$schema"] = SchemaDialect,
        ["title"] = "JSONDataLoader parameters",
        ["type"] = "object",
        ["additionalProperties"] = false,
        ["properties"] = new JsonObject
        {
            ["data_key"] = new JsonObject
            {
                ["type"] = new JsonArray("string", "null"),
                ["minLength"] = 1,
                ["default"] = null,
                ["description"] = "When the file is an object, the property that holds the list of records; omit it when the file is the list itself.",
            },
        },
    };
}

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
                ["pattern"] = "^[^\"\\r\\n\\p{L}\\p{N}]$",
                [SchemaMessages.ErrorMessageKeyword] = new JsonObject
                {
                    ["pattern"] = "{field} '{value}' cannot be used (not a quote, line break, letter, digit or the decimal point).",
                },
                ["default"] = DataLoaderOptions.Default.Separator.ToString(),
                ["description"] = "The character between fields: ',' for CSV, '\\t' for TSV, ';' for files with a decimal comma.",
            },
            ["header"] = new JsonObject
            {
                ["type"] = "boolean",
                ["default"] = DataLoaderOptions.Default.Header,
                ["description"] = "Whether the first row holds the column names (each non-empty and unique); without one, columns are named column_0, column_1, ...",
            },
            ["encoding"] = new JsonObject
            {
                ["type"] = "string",
                ["enum"] = new JsonArray([.. TextEncodings.Names.Select(n => JsonValue.Create(n))]),
                ["default"] = DataLoaderOptions.Default.Encoding,
                ["description"] = "The text encoding of the file (the aliases utf8, latin-1, iso-8859-1 and windows-1252 are accepted too). Bytes that are not valid in it are rejected with their row.",
            },
            ["decimal"] = new JsonObject
            {
                ["type"] = "string",
                ["enum"] = new JsonArray(".", ","),
                ["default"] = DataLoaderOptions.Default.DecimalPoint.ToString(),
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
                [SchemaMessages.ErrorMessageKeyword] = new JsonObject
                {
                    ["minLength"] = "{field} must not be empty (omit it when the file is a list of records).",
                },
                ["default"] = null,
                ["description"] = "When the file is an object, the property that holds the list of records; omit it when the file is the list itself.",
            },
        },
    };
}

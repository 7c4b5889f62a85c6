using System.Text.Json.Nodes;

namespace DashAI.ML.Data;

/// <summary>A dataloader the registry lists: its name, what it reads, and a JSON Schema of its parameters.</summary>
public sealed record DataLoaderInfo(string Name, string Description, JsonObject ParameterSchema);

/// <summary>The dataloaders that ingestion understands.</summary>
public static class DataLoaderCatalog
{
    public const string Csv = "CSVDataLoader";
    public const string Json = "JSONDataLoader";

    public static IReadOnlyList<DataLoaderInfo> All { get; } =
    [
        new(Csv, "Reads delimited text files (CSV, TSV).", new JsonObject { ["type"] = "object" }),
        new(Json, "Reads a JSON list of records, or an object holding one under data_key.", new JsonObject { ["type"] = "object" }),
    ];
}

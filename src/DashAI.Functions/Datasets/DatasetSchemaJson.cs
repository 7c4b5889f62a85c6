using System.Text.Json;
using DashAI.Functions.Http;
using DashAI.ML.Data;

namespace DashAI.Functions.Datasets;

/// <summary>A column of the inferred schema as the dataset entity stores it and the API shows it.</summary>
public sealed record DatasetColumn(string Name, string Type, long MissingCount, long DistinctCount);

/// <summary>How the dataset was split, as stored and shown (the thesis order: train, validation, test).</summary>
public sealed record DatasetSplits(double TrainSize, double ValSize, double TestSize, int Seed, bool Shuffle, bool Stratify)
{
    public static DatasetSplits From(SplitOptions s) => new(s.TrainSize, s.ValSize, s.TestSize, s.Seed, s.Shuffle, s.Stratify);
}

/// <summary>The inferred schema and split facts as stored on the dataset entity (typed, source-generated JSON), and back.</summary>
public static class DatasetSchemaJson
{
    public static string Columns(DatasetSchema schema) => JsonSerializer.Serialize(
        [.. schema.Columns.Select(c => new DatasetColumn(c.Name, c.Type.ToString().ToLowerInvariant(), c.MissingCount, c.DistinctCount))],
        ApiJsonContext.Default.ListDatasetColumn);

    public static string Names(IEnumerable<string> names) => JsonSerializer.Serialize([.. names], ApiJsonContext.Default.ListString);

    public static string RowsPerSplit(IReadOnlyDictionary<string, long> rows) =>
        JsonSerializer.Serialize(new Dictionary<string, long>(rows), ApiJsonContext.Default.DictionaryStringInt64);

    public static string Splits(SplitOptions splits) => JsonSerializer.Serialize(DatasetSplits.From(splits), ApiJsonContext.Default.DatasetSplits);

    /// <summary>Rebuilds the schema training needs; null when the dataset was never ingested.</summary>
    public static DatasetSchema? FromEntity(DatasetEntity dataset)
    {
        if (dataset.Columns is null || dataset.InputColumns is null || dataset.OutputColumns is null)
        {
            return null;
        }

        var columns = ReadColumns(dataset.Columns)!
            .Select(c => new ColumnInfo(c.Name, Enum.Parse<ColumnType>(c.Type, ignoreCase: true), c.MissingCount, c.DistinctCount))
            .ToList();
        return new DatasetSchema(columns, ReadNames(dataset.InputColumns)!, ReadNames(dataset.OutputColumns)!);
    }

    public static List<DatasetColumn>? ReadColumns(string? json) => Read(json, ApiJsonContext.Default.ListDatasetColumn);

    public static List<string>? ReadNames(string? json) => Read(json, ApiJsonContext.Default.ListString);

    public static Dictionary<string, long>? ReadRowsPerSplit(string? json) => Read(json, ApiJsonContext.Default.DictionaryStringInt64);

    public static DatasetSplits? ReadSplits(string? json) => Read(json, ApiJsonContext.Default.DatasetSplits);

    private static T? Read<T>(string? json, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
        where T : class =>
        string.IsNullOrEmpty(json) ? null : JsonSerializer.Deserialize(json, type);
}

namespace DashAI.ML.Data;

/// <summary>The inferred type of a dataset column.</summary>
public enum ColumnType
{
    Integer,
    Float,
    Boolean,
    Categorical,
    Text,
}

/// <summary>One column of an ingested dataset: its inferred type and how many values were missing.</summary>
public sealed record ColumnInfo(string Name, ColumnType Type, long MissingCount, long DistinctCount);

/// <summary>
/// What ingestion learned about a dataset. The splits it writes are "canonical CSV":
/// UTF-8 without BOM, a header row, comma separator, RFC 4180 quoting, invariant culture numbers
/// ('.' decimal point), booleans as true/false, an empty field for a missing value, and LF line
/// endings (quoted text fields may hold line breaks).
/// Column order in the split files is <see cref="Columns"/> order.
/// </summary>
public sealed record DatasetSchema(
    IReadOnlyList<ColumnInfo> Columns,
    IReadOnlyList<string> InputColumns,
    IReadOnlyList<string> OutputColumns)
{
    public ColumnInfo this[string name] =>
        Columns.FirstOrDefault(c => c.Name == name) ?? throw new KeyNotFoundException($"Column '{name}' is not in the dataset.");
}

/// <summary>The split names used for blobs, files and metrics.</summary>
public static class SplitNames
{
    public const string Train = "train";
    public const string Validation = "validation";
    public const string Test = "test";

    public static IReadOnlyList<string> All { get; } = [Train, Validation, Test];
}

using Microsoft.ML;
using Microsoft.ML.Data;

namespace DashAI.ML.Data;

/// <summary>
/// Reads canonical CSV splits (see <see cref="DatasetSchema"/>) into ML.NET. Integer and float
/// columns load as Single (an empty field is NaN, i.e. missing — without MissingRealsAsNaNs TextLoader
/// would silently read it as 0); boolean, categorical and text columns load as text (an empty field is
/// the empty string, i.e. missing), so a boolean label keeps its original "true"/"false" values.
/// </summary>
public static class CanonicalCsv
{
    /// <summary>A loader for split files holding every column of <paramref name="schema"/>, in order.</summary>
    public static TextLoader CreateLoader(MLContext mlContext, DatasetSchema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        return Create(mlContext, schema.Columns);
    }

    /// <summary>
    /// A loader for files holding only the input columns, in <see cref="DatasetSchema.Columns"/>
    /// order: what a caller who wants predictions has.
    /// </summary>
    public static TextLoader CreatePredictionLoader(MLContext mlContext, DatasetSchema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        return Create(mlContext, [.. schema.Columns.Where(c => schema.InputColumns.Contains(c.Name, StringComparer.Ordinal))]);
    }

    /// <summary>Streams a whole split file into an <see cref="IDataView"/> (lazily: nothing is read until rows are pulled).</summary>
    public static IDataView Load(MLContext mlContext, DatasetSchema schema, string path) =>
        CreateLoader(mlContext, schema).Load(path);

    /// <summary>The ML.NET type a column loads as.</summary>
    public static DataKind KindOf(ColumnType type) =>
        type is ColumnType.Integer or ColumnType.Float ? DataKind.Single : DataKind.String;

    private static TextLoader Create(MLContext mlContext, IReadOnlyList<ColumnInfo> columns)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        return mlContext.Data.CreateTextLoader(new TextLoader.Options
        {
            Separators = [','],
            HasHeader = true,
            AllowQuoting = true,
            ReadMultilines = true,
            TrimWhitespace = false,
            MissingRealsAsNaNs = true,
            Columns = [.. columns.Select((c, i) => new TextLoader.Column(c.Name, KindOf(c.Type), i))],
        });
    }
}

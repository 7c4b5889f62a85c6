using Microsoft.ML;
using Microsoft.ML.Data;

namespace DashAI.ML.Data;

/// <summary>
/// Reads split files back for training. The split files are canonical CSV (see <see cref="DatasetSchema"/>),
/// so the loader needs no inference: the column types come from the stored schema and the dialect is fixed.
/// </summary>
public static class CanonicalCsv
{
    /// <summary>The ML.NET type a column is loaded as: numbers as Single (what trainers take), strings as text.</summary>
    public static DataKind DataKindOf(ColumnType type) => type switch
    {
        ColumnType.Integer or ColumnType.Float => DataKind.Single,
        ColumnType.Boolean => DataKind.Boolean,
        _ => DataKind.String,
    };

    /// <summary>TextLoader options for a split file of <paramref name="schema"/>; an empty numeric field loads as NaN.</summary>
    public static TextLoader.Options LoaderOptions(DatasetSchema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        return new TextLoader.Options
        {
            Separators = [','],
            HasHeader = true,
            AllowQuoting = true,
            ReadMultilines = true,
            TrimWhitespace = false,

            // Without this TextLoader reads an empty numeric field as 0, silently turning missing into a value.
            MissingRealsAsNaNs = true,
            Columns = schema.Columns
                .Select((column, index) => new TextLoader.Column(column.Name, DataKindOf(column.Type), index))
                .ToArray(),
        };
    }

    /// <summary>Streams a split file into an <see cref="IDataView"/> (lazily; nothing is read until a pipeline pulls rows).</summary>
    public static IDataView Load(MLContext mlContext, DatasetSchema schema, string path)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        return mlContext.Data.LoadFromTextFile(path, LoaderOptions(schema));
    }
}

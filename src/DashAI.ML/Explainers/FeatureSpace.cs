using DashAI.ML.Data;
using DashAI.ML.Training;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace DashAI.ML.Explainers;

/// <summary>
/// A saved model seen as two parts: the featurization (every transform before the trainer's predictor) and the
/// predictor. Every featurizing step of <see cref="Tasks.MLTask.BuildFeatures"/> works on one input column at a
/// time, so each slot of the feature vector belongs to one input column: a virtual row that mixes input columns
/// of several rows (a shuffled column, a grid value, a background row) has the feature vector that mixes those
/// rows' slots the same way. Explainers score many such rows; featurizing each row of a table once and mixing
/// slots costs a copy instead of the whole featurization per virtual row.
/// </summary>
internal sealed class FeatureSpace
{
    /// <summary>A table is featurized only while its feature values fit in this many floats (64 MiB); wider goes row by row.</summary>
    internal const long MaximumValues = 16L << 20;

    /// <summary>How many rows of a table check the slot layout before it is trusted.</summary>
    private const int CheckedRows = 512;

    private readonly int[] _columnOfSlot;

    private FeatureSpace(ITransformer featurizer, ITransformer predictor, string featureColumn, int[] columnOfSlot)
    {
        Featurizer = featurizer;
        Predictor = predictor;
        FeatureColumn = featureColumn;
        _columnOfSlot = columnOfSlot;
        Width = columnOfSlot.Length;
    }

    public ITransformer Featurizer { get; }

    /// <summary>The trainer's prediction transformer: reads <see cref="FeatureColumn"/>, writes the model's Score column.</summary>
    public ITransformer Predictor { get; }

    public string FeatureColumn { get; }

    /// <summary>Slots of the feature vector.</summary>
    public int Width { get; }

    /// <summary>The parts of <paramref name="model"/>, or null when it does not have the layout described above.</summary>
    public static FeatureSpace? TryCreate(ITransformer model, DatasetSchema schema)
    {
        var steps = Flatten(model).ToList();
        var at = steps.FindIndex(s => s is ISingleFeaturePredictionTransformer<object>);
        if (at <= 0)
        {
            return null;
        }

        var predictor = (ISingleFeaturePredictionTransformer<object>)steps[at];
        var featurizer = new TransformerChain<ITransformer>([.. steps.Take(at)]);
        var inputs = new MixedRowsView(new RowTable(schema, 0), 0, 0, (_, _) => 0).Schema;
        var featured = featurizer.GetOutputSchema(inputs);
        var slots = ColumnOfEachSlot(schema, featured);
        if (slots is null || featured.GetColumnOrNull(predictor.FeatureColumnName)?.Type is not VectorDataViewType { Size: > 0 } vector || vector.Size != slots.Length)
        {
            return null;
        }

        var scored = steps[at].GetOutputSchema(featured);
        return scored.GetColumnOrNull(TrainingPipeline.ScoreColumn) is null
            ? null
            : new FeatureSpace(featurizer, steps[at], predictor.FeatureColumnName, slots);
    }

    /// <summary>
    /// Which input column (index in the schema's input columns, as in <see cref="RowTable.Columns"/>) each slot of
    /// the feature vector comes from: the numeric columns, then each categorical column's one-hot slots, then each
    /// text column's n-grams, in input column order (see <see cref="Tasks.MLTask.BuildFeatures"/>). Null when the
    /// featurized schema does not have that layout.
    /// </summary>
    public static int[]? ColumnOfEachSlot(DatasetSchema schema, DataViewSchema featured)
    {
        var names = PipelineColumns.For(schema);
        var inputs = schema.InputColumns.Select(name => schema[name]).ToList();
        var slots = new List<int>();
        bool Add(string part, int column)
        {
            if (featured.GetColumnOrNull(part) is not { } found)
            {
                return false;
            }

            var size = found.Type is VectorDataViewType vector ? vector.Size : 1;
            slots.AddRange(Enumerable.Repeat(column, size));
            return true;
        }

        slots.AddRange(Enumerable.Range(0, inputs.Count).Where(c => inputs[c].Type is ColumnType.Integer or ColumnType.Float));
        var categorical = Enumerable.Range(0, inputs.Count).Where(c => inputs[c].Type is ColumnType.Categorical or ColumnType.Boolean).ToList();
        for (var i = 0; i < categorical.Count; i++)
        {
            if (!Add(names.OneHot(i), categorical[i]))
            {
                return null;
            }
        }

        var text = Enumerable.Range(0, inputs.Count).Where(c => inputs[c].Type == ColumnType.Text).ToList();
        for (var i = 0; i < text.Count; i++)
        {
            if (!Add(names.Text(i), text[i]))
            {
                return null;
            }
        }

        var width = featured.GetColumnOrNull(names.Features)?.Type is VectorDataViewType features ? features.Size : 0;
        return slots.Count == width ? [.. slots] : null;
    }

    /// <summary>
    /// Featurizes every row of <paramref name="table"/> once, or returns null when the table is too wide for it or
    /// its first rows show a slot that does not follow its input column (then rows are scored whole).
    /// </summary>
    public FeaturedTable? Featurize(RowTable table, RowRunner runner, CancellationToken cancellationToken)
    {
        var rows = table.Count;
        if (rows == 0 || (long)rows * Width > MaximumValues)
        {
            return null;
        }

        var values = runner.Read(Featurizer, FeatureColumn, Width, rows, (start, count) => new MixedRowsView(table, start, count, (row, _) => (int)row), cancellationToken);
        var featured = new FeaturedTable(values, Width, _columnOfSlot, table.Columns.Count);
        return Follows(table, featured, runner, cancellationToken) ? featured : null;
    }

    /// <summary>
    /// The check: on the first rows, taking one column from the next row (each column in turn) must change only
    /// that column's slots, to exactly the next row's values.
    /// </summary>
    private bool Follows(RowTable table, FeaturedTable featured, RowRunner runner, CancellationToken cancellationToken)
    {
        var rows = Math.Min(table.Count, CheckedRows);
        if (rows < 2)
        {
            return true;
        }

        for (var column = 0; column < table.Columns.Count; column++)
        {
            var rotated = column;
            var mixed = runner.Read(
                Featurizer,
                FeatureColumn,
                Width,
                rows,
                (start, count) => new MixedRowsView(table, start, count, (row, c) => c == rotated ? (int)((row + 1) % rows) : (int)row),
                cancellationToken);
            for (var row = 0; row < rows; row++)
            {
                var next = (row + 1) % rows;
                for (var slot = 0; slot < Width; slot++)
                {
                    var expected = featured.Values[((long)(_columnOfSlot[slot] == rotated ? next : row) * Width) + slot];
                    if (BitConverter.SingleToInt32Bits(mixed[((long)row * Width) + slot]) != BitConverter.SingleToInt32Bits(expected))
                    {
                        return false;
                    }
                }
            }
        }

        return true;
    }

    private static IEnumerable<ITransformer> Flatten(ITransformer transformer) =>
        transformer is IEnumerable<ITransformer> chain ? chain.SelectMany(Flatten) : [transformer];
}

/// <summary>The feature vectors of a table's rows (row after row) and the slots of each input column.</summary>
internal sealed class FeaturedTable
{
    public FeaturedTable(float[] values, int width, int[] columnOfSlot, int columns)
    {
        Values = values;
        Width = width;
        SlotsOf = [.. Enumerable.Range(0, columns).Select(c => Enumerable.Range(0, width).Where(s => columnOfSlot[s] == c).ToArray())];
    }

    public float[] Values { get; }

    public int Width { get; }

    public int[][] SlotsOf { get; }

    /// <summary>
    /// How a virtual row mixes rows: the column whose row gives every slot first, and the columns whose cells may
    /// come from another row (all others when <paramref name="mixing"/> is null, i.e. any column may).
    /// </summary>
    public (int BaseColumn, int[] Overwritten) Plan(IReadOnlyCollection<int>? mixing)
    {
        var columns = SlotsOf.Length;
        if (mixing is null || mixing.Count >= columns)
        {
            return (0, [.. Enumerable.Range(1, Math.Max(0, columns - 1))]);
        }

        var baseColumn = Enumerable.Range(0, columns).First(c => !mixing.Contains(c));
        return (baseColumn, [.. mixing.Where(c => c != baseColumn).Distinct()]);
    }

    /// <summary>
    /// The feature vector of virtual row <paramref name="row"/>: every slot from the base column's row, then each
    /// overwritten column's slots from the row its cell comes from (see <see cref="Plan"/>).
    /// </summary>
    public void Fill(long row, CellSource source, (int BaseColumn, int[] Overwritten) plan, Span<float> destination)
    {
        var baseRow = source(row, plan.BaseColumn);
        Values.AsSpan(baseRow * Width, Width).CopyTo(destination);
        foreach (var column in plan.Overwritten)
        {
            var from = source(row, column);
            if (from == baseRow)
            {
                continue;
            }

            var offset = (long)from * Width;
            foreach (var slot in SlotsOf[column])
            {
                destination[slot] = Values[offset + slot];
            }
        }
    }
}

/// <summary>
/// An <see cref="IDataView"/> of one column, the feature vectors of virtual rows of a <see cref="FeaturedTable"/>. A
/// cursor set splits the rows into contiguous ranges; a row's id is its virtual row number.
/// </summary>
internal sealed class FeatureRowsView : IDataView
{
    private readonly FeaturedTable _table;
    private readonly long _start;
    private readonly long _count;
    private readonly CellSource _source;
    private readonly (int BaseColumn, int[] Overwritten) _plan;

    public FeatureRowsView(FeaturedTable table, string column, long start, long count, CellSource source, (int BaseColumn, int[] Overwritten) plan)
    {
        _table = table;
        _start = start;
        _count = count;
        _source = source;
        _plan = plan;
        var builder = new DataViewSchema.Builder();
        builder.AddColumn(column, new VectorDataViewType(NumberDataViewType.Single, table.Width));
        Schema = builder.ToSchema();
    }

    public bool CanShuffle => false;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => _count;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
        new Cursor(this, new RowRange(_start, _count, 0));

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [.. RowRange.Split(_start, _count, n).Select(range => new Cursor(this, range))];

    private sealed class Cursor(FeatureRowsView view, RowRange range) : RangeCursor(view.Schema, range)
    {
        public override bool IsColumnActive(DataViewSchema.Column column) => true;

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            ValueGetter<VBuffer<float>> getter = (ref VBuffer<float> value) =>
            {
                var editor = VBufferEditor.Create(ref value, view._table.Width);
                view._table.Fill(Row, view._source, view._plan, editor.Values);
                value = editor.Commit();
            };
            return getter as ValueGetter<TValue> ?? throw new InvalidOperationException($"The feature column holds float vectors, not {typeof(TValue).Name}.");
        }
    }
}

using Microsoft.ML;
using Microsoft.ML.Data;

namespace DashAI.ML.Explainers;

/// <summary>
/// Chooses, for virtual row <c>row</c> and input column <c>column</c>, the row of a <see cref="RowTable"/>
/// whose value that cell takes. Explainers describe "the sample with one column shuffled" or "row x with
/// some columns taken from a background row" this way, without copying any rows.
/// </summary>
internal delegate int CellSource(long row, int column);

/// <summary>
/// An <see cref="IDataView"/> of the input columns whose cells come from a <see cref="RowTable"/> through a
/// <see cref="CellSource"/>: what the saved model scores. A cursor set splits the rows into contiguous ranges, one
/// per cursor; a row's id is its virtual row number.
/// </summary>
internal sealed class MixedRowsView : IDataView
{
    private readonly RowTable _table;
    private readonly long _start;
    private readonly long _count;
    private readonly CellSource _source;

    public MixedRowsView(RowTable table, long start, long count, CellSource source)
    {
        _table = table;
        _start = start;
        _count = count;
        _source = source;
        var builder = new DataViewSchema.Builder();
        for (var c = 0; c < table.Columns.Count; c++)
        {
            builder.AddColumn(table.Columns[c].Name, table.IsNumeric(c) ? NumberDataViewType.Single : TextDataViewType.Instance);
        }

        Schema = builder.ToSchema();
    }

    public bool CanShuffle => false;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => _count;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
        new Cursor(this, columnsNeeded, new RowRange(_start, _count, 0));

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [.. RowRange.Split(_start, _count, n).Select(range => new Cursor(this, columnsNeeded, range))];

    private sealed class Cursor : RangeCursor
    {
        private readonly MixedRowsView _view;
        private readonly bool[] _active;

        public Cursor(MixedRowsView view, IEnumerable<DataViewSchema.Column> columnsNeeded, RowRange range)
            : base(view.Schema, range)
        {
            _view = view;
            _active = new bool[view.Schema.Count];
            foreach (var column in columnsNeeded)
            {
                _active[column.Index] = true;
            }
        }

        public override bool IsColumnActive(DataViewSchema.Column column) => _active[column.Index];

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            var index = column.Index;
            var table = _view._table;
            var source = _view._source;
            if (table.IsNumeric(index))
            {
                var numbers = table.Numbers(index);
                ValueGetter<float> getter = (ref float value) => value = numbers[source(Row, index)];
                return getter as ValueGetter<TValue>
                    ?? throw new InvalidOperationException($"Column '{column.Name}' holds numbers, not {typeof(TValue).Name}.");
            }

            var texts = table.Texts(index);
            ValueGetter<ReadOnlyMemory<char>> textGetter = (ref ReadOnlyMemory<char> value) => value = texts[source(Row, index)];
            return textGetter as ValueGetter<TValue>
                ?? throw new InvalidOperationException($"Column '{column.Name}' holds text, not {typeof(TValue).Name}.");
        }
    }
}

/// <summary>Rows <c>Start</c> to <c>Start + Count - 1</c> of a view, read by the cursor numbered <c>Batch</c> of a set.</summary>
internal readonly record struct RowRange(long Start, long Count, long Batch)
{
    /// <summary>At most <paramref name="parts"/> contiguous ranges of nearly equal size covering the rows (one when there are none).</summary>
    public static IEnumerable<RowRange> Split(long start, long count, int parts)
    {
        parts = (int)Math.Clamp(count, 1, Math.Max(1, parts));
        var size = count / parts;
        var extra = count % parts;
        var next = start;
        for (var i = 0; i < parts; i++)
        {
            var length = size + (i < extra ? 1 : 0);
            yield return new RowRange(next, length, i);
            next += length;
        }
    }
}

/// <summary>A forward cursor over one <see cref="RowRange"/> of a view whose rows are numbered: the row id is the number.</summary>
internal abstract class RangeCursor(DataViewSchema schema, RowRange range) : DataViewRowCursor
{
    private long _position = -1;

    public override long Position => _position;

    public override long Batch => range.Batch;

    public override DataViewSchema Schema => schema;

    /// <summary>The number of the current row in the whole view.</summary>
    protected long Row => range.Start + _position;

    public override bool MoveNext()
    {
        if (_position + 1 >= range.Count)
        {
            _position = range.Count;
            return false;
        }

        _position++;
        return true;
    }

    public override ValueGetter<DataViewRowId> GetIdGetter() =>
        (ref DataViewRowId id) => id = new DataViewRowId((ulong)Row, 0);
}

using System.Runtime.CompilerServices;
using DashAI.ML.Data;
using DashAI.ML.Tasks;
using DashAI.ML.Training;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace DashAI.ML.Explainers;

/// <summary>
/// Scores many virtual rows (see <see cref="MixedRowsView"/>) with a saved model and returns <see cref="Width"/>
/// values a row, row after row: the class probabilities (in the run's class order) or the predicted number.
/// When the model has the usual layout (<see cref="FeatureSpace"/>), each row of a table is featurized once and
/// the predictor alone scores the virtual rows' mixed feature vectors; otherwise every virtual row goes through
/// the whole model. Both give the same scores.
/// </summary>
internal sealed class BatchScorer
{
    private readonly ITransformer _model;
    private readonly FeatureSpace? _space;
    private readonly RowRunner _runner = new();
    private readonly ConditionalWeakTable<RowTable, Featured> _featured = [];

    /// <param name="featurize">False scores every virtual row through the whole model (to compare the two ways).</param>
    public BatchScorer(ITransformer model, TaskKind kind, int classCount, DatasetSchema schema, bool featurize = true)
    {
        _model = model;
        Width = kind == TaskKind.Classification ? classCount : 1;
        _space = featurize ? FeatureSpace.TryCreate(model, schema) : null;
    }

    public int Width { get; }

    /// <summary>Rows scored since the scorer was made (for progress).</summary>
    public long RowsScored => _runner.RowsRead;

    /// <summary>Whether the last table scored was featurized once (for tests).</summary>
    internal bool LastScoredFeaturized { get; private set; }

    /// <summary>
    /// Scores <paramref name="rows"/> virtual rows whose cells <paramref name="source"/> picks. When only some columns
    /// take their cell from another row than the rest of the virtual row (one shuffled column, one grid column), naming
    /// them in <paramref name="mixing"/> spares asking <paramref name="source"/> about the others.
    /// </summary>
    public float[] Score(
        RowTable table, long rows, CellSource source, CancellationToken cancellationToken, Action<long>? progress = null, IReadOnlyCollection<int>? mixing = null)
    {
        ArgumentNullException.ThrowIfNull(table);
        var featured = _space is null ? null : _featured.GetValue(table, t => new Featured(_space.Featurize(t, _runner.Uncounted, cancellationToken))).Table;
        LastScoredFeaturized = featured is not null;
        if (featured is null)
        {
            return _runner.Read(_model, TrainingPipeline.ScoreColumn, Width, rows, (start, count) => new MixedRowsView(table, start, count, source), cancellationToken, progress);
        }

        var plan = featured.Plan(mixing);
        return _runner.Read(
            _space!.Predictor,
            TrainingPipeline.ScoreColumn,
            Width,
            rows,
            (start, count) => new FeatureRowsView(featured, _space.FeatureColumn, start, count, source, plan),
            cancellationToken,
            progress);
    }

    /// <summary>A table's featurized rows, or null when it is scored row by row (a weak-table value must be a class).</summary>
    private sealed record Featured(FeaturedTable? Table);
}

/// <summary>
/// Reads one column (a float, or a float vector of which the first <c>width</c> values are kept) of a transformer's
/// output over many rows: the transformer is applied once and its output read on one cursor per core (the views
/// split their rows into contiguous ranges, and a row's id is its row number, so each value lands in its place).
/// </summary>
internal sealed class RowRunner(bool counted = true)
{
    private const int ReportRows = 4096;

    private long _rowsRead;

    /// <summary>Rows read since the runner was made.</summary>
    public long RowsRead => Interlocked.Read(ref _rowsRead);

    /// <summary>A runner whose reads are not counted in <see cref="RowsRead"/> (featurizing is not scoring).</summary>
    public RowRunner Uncounted => counted ? new RowRunner(counted: false) : this;

    public float[] Read(
        ITransformer transformer,
        string column,
        int width,
        long rows,
        Func<long, long, IDataView> viewOf,
        CancellationToken cancellationToken,
        Action<long>? progress = null)
    {
        var output = new float[checked(rows * width)];
        var data = transformer.Transform(viewOf(0, rows));
        var read = data.Schema[column];
        var cursors = data.GetRowCursorSet([read], Environment.ProcessorCount);
        try
        {
            Parallel.For(
                0,
                cursors.Length,
                new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = cursors.Length },
                i => ReadCursor(cursors[i], read, width, output, progress, cancellationToken));
        }
        catch (AggregateException exception) when (exception.InnerExceptions.Count > 0)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(exception.InnerExceptions[0]);
            throw;
        }
        finally
        {
            foreach (var cursor in cursors)
            {
                cursor.Dispose();
            }
        }

        return output;
    }

    private void ReadCursor(DataViewRowCursor cursor, DataViewSchema.Column column, int width, float[] output, Action<long>? progress, CancellationToken cancellationToken)
    {
        var idGetter = cursor.GetIdGetter();
        DataViewRowId id = default;
        long offset = -1;
        var pending = 0;
        void Counted()
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (counted)
            {
                progress?.Invoke(Interlocked.Add(ref _rowsRead, pending));
            }

            pending = 0;
        }

        if (column.Type is VectorDataViewType)
        {
            var getter = cursor.GetGetter<VBuffer<float>>(column);
            VBuffer<float> values = default;
            while (cursor.MoveNext())
            {
                if (offset < 0)
                {
                    idGetter(ref id);
                    offset = checked((long)id.Low * width);
                }

                getter(ref values);
                var row = output.AsSpan(checked((int)offset), width);
                var i = 0;
                foreach (var value in values.DenseValues())
                {
                    if (i == width)
                    {
                        break;
                    }

                    row[i++] = value;
                }

                offset += width;
                if (++pending == ReportRows)
                {
                    Counted();
                }
            }
        }
        else
        {
            var getter = cursor.GetGetter<float>(column);
            float value = 0;
            while (cursor.MoveNext())
            {
                if (offset < 0)
                {
                    idGetter(ref id);
                    offset = checked((long)id.Low);
                }

                getter(ref value);
                output[offset++] = value;
                if (++pending == ReportRows)
                {
                    Counted();
                }
            }
        }

        Counted();
    }
}

using DashAI.ML.Tasks;
using DashAI.ML.Training;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace DashAI.ML.Explainers;

/// <summary>
/// Scores many virtual rows (see <see cref="MixedRowsView"/>) with a saved model: in chunks, on every core
/// (a loaded model's Transform may be called from several threads; each chunk has its own cursor). Returns
/// <see cref="Width"/> values a row, row after row: the class probabilities (in the run's class order) or the
/// predicted number.
/// </summary>
internal sealed class BatchScorer(ITransformer model, TaskKind kind, int classCount)
{
    private const int ChunkRows = 4096;

    public int Width { get; } = kind == TaskKind.Classification ? classCount : 1;

    /// <summary>Rows scored since the scorer was made (for progress).</summary>
    public long RowsScored => Interlocked.Read(ref _rowsScored);

    private long _rowsScored;

    public float[] Score(RowTable table, long rows, CellSource source, CancellationToken cancellationToken, Action<long>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(table);
        var output = new float[checked(rows * Width)];
        var chunks = (rows + ChunkRows - 1) / ChunkRows;
        Parallel.For(
            0,
            chunks,
            new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = Environment.ProcessorCount },
            chunk =>
            {
                var start = chunk * ChunkRows;
                var count = Math.Min(ChunkRows, rows - start);
                ScoreChunk(table, start, count, source, output, cancellationToken);
                var done = Interlocked.Add(ref _rowsScored, count);
                progress?.Invoke(done);
            });
        return output;
    }

    private void ScoreChunk(RowTable table, long start, long count, CellSource source, float[] output, CancellationToken cancellationToken)
    {
        var scored = model.Transform(new MixedRowsView(table, start, count, source));
        var scoreColumn = scored.Schema[TrainingPipeline.ScoreColumn];
        using var cursor = scored.GetRowCursor([scoreColumn]);
        var offset = start * Width;
        if (kind == TaskKind.Classification)
        {
            var getter = cursor.GetGetter<VBuffer<float>>(scoreColumn);
            VBuffer<float> scores = default;
            while (cursor.MoveNext())
            {
                getter(ref scores);
                var row = output.AsSpan((int)offset, Width);
                var i = 0;
                foreach (var value in scores.DenseValues())
                {
                    if (i == Width)
                    {
                        break;
                    }

                    row[i++] = value;
                }

                offset += Width;
            }
        }
        else
        {
            var getter = cursor.GetGetter<float>(scoreColumn);
            float value = 0;
            while (cursor.MoveNext())
            {
                getter(ref value);
                output[offset++] = value;
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
    }
}

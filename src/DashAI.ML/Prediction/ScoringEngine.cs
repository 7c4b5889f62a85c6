using DashAI.ML.Training;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace DashAI.ML.Prediction;

/// <summary>
/// Scores one row at a time through the model's row-to-row mapper, built once: what ML.NET's PredictionEngine does,
/// over a row whose columns are the dataset's (known only at run time) instead of a compiled class. Not thread-safe:
/// <see cref="PredictionModel"/> hands engines out of a pool.
/// </summary>
internal sealed class ScoringEngine : IDisposable
{
    private readonly SettableRow _input;
    private readonly DataViewRow _output;
    private readonly ValueGetter<float>? _numericLabel;
    private readonly ValueGetter<ReadOnlyMemory<char>>? _textLabel;
    private readonly ValueGetter<VBuffer<float>>? _probabilities;
    private readonly ValueGetter<float>? _value;
    private VBuffer<float> _scores;

    public ScoringEngine(ITransformer model, DataViewSchema inputSchema, PredictionModel owner)
    {
        _input = new SettableRow(inputSchema, owner.InputSlots);
        var mapper = model.GetRowToRowMapper(inputSchema);
        var label = mapper.OutputSchema[TrainingPipeline.PredictedLabelColumn];
        var score = mapper.OutputSchema[TrainingPipeline.ScoreColumn];
        _output = mapper.GetRow(_input, [label, score]);
        if (owner.Kind == Tasks.TaskKind.Classification)
        {
            if (label.Type is TextDataViewType)
            {
                _textLabel = _output.GetGetter<ReadOnlyMemory<char>>(label);
            }
            else
            {
                _numericLabel = _output.GetGetter<float>(label);
            }

            _probabilities = _output.GetGetter<VBuffer<float>>(score);
        }
        else
        {
            _value = _output.GetGetter<float>(score);
        }
    }

    /// <summary>Classification: the predicted label (text, or its number) and writes the class probabilities into <paramref name="probabilities"/>.</summary>
    public void Classify(InputRow row, out ReadOnlyMemory<char> textLabel, out float numericLabel, Span<float> probabilities)
    {
        _input.Set(row);
        textLabel = default;
        numericLabel = float.NaN;
        if (_textLabel is not null)
        {
            _textLabel(ref textLabel);
        }
        else
        {
            _numericLabel!(ref numericLabel);
        }

        _probabilities!(ref _scores);
        _scores.CopyTo(probabilities);
    }

    /// <summary>Regression: the predicted value.</summary>
    public float Regress(InputRow row)
    {
        _input.Set(row);
        float value = 0;
        _value!(ref value);
        return value;
    }

    public void Dispose()
    {
        _output.Dispose();
        _input.Dispose();
    }

    /// <summary>A row whose values are replaced before each prediction; its position moves on so no transform serves a cached value.</summary>
    private sealed class SettableRow : DataViewRow
    {
        private readonly DataViewSchema _schema;
        private readonly int[] _slots;
        private InputRow? _current;
        private long _position = -1;

        public SettableRow(DataViewSchema schema, int[] slots)
        {
            _schema = schema;
            _slots = slots;
        }

        public override long Position => _position;

        public override long Batch => 0;

        public override DataViewSchema Schema => _schema;

        public void Set(InputRow row)
        {
            _current = row;
            _position++;
        }

        public override bool IsColumnActive(DataViewSchema.Column column) => true;

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            var slot = _slots[column.Index];
            if (typeof(TValue) == typeof(float))
            {
                ValueGetter<float> number = (ref float value) => value = _current!.Numbers[slot];
                return (ValueGetter<TValue>)(Delegate)number;
            }

            if (typeof(TValue) == typeof(ReadOnlyMemory<char>))
            {
                ValueGetter<ReadOnlyMemory<char>> text = (ref ReadOnlyMemory<char> value) => value = _current!.Texts[slot];
                return (ValueGetter<TValue>)(Delegate)text;
            }

            throw new InvalidOperationException($"Input column '{column.Name}' of type {column.Type} cannot be read as {typeof(TValue).Name}.");
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() =>
            (ref DataViewRowId value) => value = new DataViewRowId((ulong)_position, 0);
    }
}

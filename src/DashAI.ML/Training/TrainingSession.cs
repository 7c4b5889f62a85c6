using System.Globalization;
using System.Text.Json.Nodes;
using DashAI.ML.Data;
using DashAI.ML.Metrics;
using DashAI.ML.Models;
using DashAI.ML.Tasks;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace DashAI.ML.Training;

/// <summary>What evaluating one split produced.</summary>
internal sealed record SplitEvaluation(Dictionary<string, double> Metrics, long Rows, long[][]? ConfusionMatrix);

/// <summary>
/// The steps of a training, separated so the benchmark can time the fit alone. One MLContext per
/// session; not thread-safe.
/// <para>
/// Memory: the raw splits are only ever streamed from their files. The training split is read as it
/// streams to fit the label mapping and the encoding (every string becomes a key or n-gram weights),
/// then once more into the one in-memory copy of the training data: its encoded columns
/// (<see cref="CacheTrainingData"/>). Trainers compute the feature vector from that copy as they
/// read it; evaluation streams every split and keeps one label and one score vector per row.
/// </para>
/// </summary>
internal sealed class TrainingSession
{
    private const int UnseenExamples = 5;
    private const int SampledRows = 1000;

    private readonly TextLoader _loader;
    private readonly TrainingPipeline _pipeline;
    private readonly int _seed;
    private ITransformer? _labelMapper;
    private ITransformer? _encoder;
    private ITransformer? _featuresModel;

    public TrainingSession(MLTask task, ModelDefinition model, JsonObject parameters, DatasetSchema schema, int seed)
    {
        Task = task;
        Model = model;
        Schema = schema;
        MLContext = new MLContext(seed);
        _seed = seed;
        _loader = CanonicalCsv.CreateLoader(MLContext, schema);
        _pipeline = PipelineBuilder.BuildPipeline(MLContext, task, model, parameters, schema, seed);
    }

    public MLContext MLContext { get; }

    public MLTask Task { get; }

    public ModelDefinition Model { get; }

    public DatasetSchema Schema { get; }

    public PipelineColumns Columns => _pipeline.Columns;

    public int ClassCount { get; private set; }

    public JsonArray ClassLabels { get; private set; } = [];

    private string OutputColumn => Schema.OutputColumns[0];

    public IDataView Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Split file '{path}' does not exist.", path);
        }

        return _loader.Load(path);
    }

    /// <summary>
    /// Fits the label mapping and the encoding on the streamed training split and returns its
    /// labelled rows, encoded, as a lazy view (nothing is held in memory yet) with their size.
    /// Throws <see cref="InvalidInputException"/> when the split cannot train the task.
    /// </summary>
    public (IDataView Encoded, TrainingSize Size) EncodeTrainingData(IDataView rawTrain)
    {
        _labelMapper = _pipeline.LabelMapping.Fit(rawTrain);
        var labelled = MLContext.Data.FilterRowsByMissingValues(_labelMapper.Transform(rawTrain), Columns.Label);
        if (Task.Kind == TaskKind.Classification)
        {
            var labelColumn = labelled.Schema[Columns.Label];
            ClassCount = labelColumn.Type is KeyDataViewType keyType ? checked((int)keyType.Count) : 0;
            ClassLabels = ReadClassLabels(labelColumn);
            if (ClassCount < 2)
            {
                throw new InvalidInputException(
                    $"The training split has {ClassCount} class in output column '{OutputColumn}'; classification needs at least 2.");
            }
        }

        _encoder = _pipeline.Encoding.Fit(labelled);
        var kept = new[] { Columns.Label }.Concat(_pipeline.EncodedColumns).ToArray();
        var encoded = MLContext.Transforms.SelectColumns(kept).Fit(_encoder.Transform(labelled)).Transform(_encoder.Transform(labelled));
        var size = Measure(encoded);
        if (size.Rows == 0)
        {
            throw new InvalidInputException($"The training split has no row with a value in output column '{OutputColumn}'.");
        }

        return (encoded, size);
    }

    /// <summary>Reads the encoded training rows into memory once: the copy every trainer pass reads.</summary>
    public IDataView CacheTrainingData(IDataView encoded)
    {
        var cached = MLContext.Data.Cache(encoded, [.. encoded.Schema.Select(c => c.Name)]);
        Materialize(cached);
        return cached;
    }

    /// <summary>Both steps, for callers that do not check the size in between.</summary>
    public IDataView PrepareTrainingData(IDataView rawTrain) => CacheTrainingData(EncodeTrainingData(rawTrain).Encoded);

    /// <summary>Fits features and trainer on the prepared data; returns the model to save (encoding included).</summary>
    public ITransformer Fit(IDataView preparedTrain)
    {
        var encoder = _encoder ?? throw new InvalidOperationException("Prepare the training data first.");
        _featuresModel = _pipeline.CreateModel().Fit(preparedTrain);
        return PipelineBuilder.Chain(encoder, _featuresModel);
    }

    /// <summary>
    /// Fits features and trainer with other parameters of the same model (a hyperparameter trial) on the prepared
    /// data: the encoding does not depend on the trainer's parameters, so one prepared copy serves every trial.
    /// </summary>
    public ITransformer Fit(IDataView preparedTrain, JsonObject parameters)
    {
        var encoder = _encoder ?? throw new InvalidOperationException("Prepare the training data first.");
        var pipeline = PipelineBuilder.BuildPipeline(MLContext, Task, Model, parameters, Schema, _seed);
        _featuresModel = pipeline.CreateModel().Fit(preparedTrain);
        return PipelineBuilder.Chain(encoder, _featuresModel);
    }

    /// <summary>
    /// Scores a raw split as it streams and computes the task's metrics on its labelled rows. A label the
    /// training split never had is an <see cref="InvalidInputException"/> (the model cannot predict it).
    /// </summary>
    public SplitEvaluation Evaluate(ITransformer model, IDataView rawSplit, string splitName, CancellationToken cancellationToken)
    {
        var mapper = _labelMapper ?? throw new InvalidOperationException("Prepare the training data first.");
        return Score(model.Transform(mapper.Transform(rawSplit)), splitName, cancellationToken);
    }

    /// <summary>Scores the prepared (in-memory, encoded) training data with the last fitted model: no second read of the file.</summary>
    public SplitEvaluation EvaluatePrepared(IDataView preparedTrain, string splitName, CancellationToken cancellationToken)
    {
        var model = _featuresModel ?? throw new InvalidOperationException("Fit the model first.");
        return Score(model.Transform(preparedTrain), splitName, cancellationToken);
    }

    /// <summary>The schema a saved model is given as its input: the input columns as they load.</summary>
    public DataViewSchema InputSchema(IDataView raw)
    {
        var builder = new DataViewSchema.Builder();
        foreach (var column in raw.Schema.Where(c => Schema.InputColumns.Contains(c.Name, StringComparer.Ordinal)))
        {
            builder.AddColumn(column.Name, column.Type);
        }

        return builder.ToSchema();
    }

    /// <summary>Reads every column once, so a cached view holds the data before any fit.</summary>
    internal static long Materialize(IDataView data)
    {
        long rows = 0;
        using var cursor = data.GetRowCursor(data.Schema);
        while (cursor.MoveNext())
        {
            rows++;
        }

        return rows;
    }

    internal static long Count(IDataView data)
    {
        long rows = 0;
        using var cursor = data.GetRowCursor([]);
        while (cursor.MoveNext())
        {
            rows++;
        }

        return rows;
    }

    /// <summary>
    /// The rows (one streamed pass reading only the label) and, from the first rows, the width of the
    /// encoded columns and of the feature vector, and how many values a row's features hold.
    /// </summary>
    private TrainingSize Measure(IDataView encoded)
    {
        long rows;
        using (var cursor = encoded.GetRowCursor([encoded.Schema[Columns.Label]]))
        {
            rows = 0;
            while (cursor.MoveNext())
            {
                rows++;
            }
        }

        long featureCount = 0;
        var vectors = new List<DataViewSchema.Column>();
        foreach (var column in encoded.Schema.Where(c => c.Name != Columns.Label))
        {
            switch (column.Type)
            {
                case KeyDataViewType key:
                    featureCount += (long)key.Count;
                    break;
                case VectorDataViewType vector:
                    featureCount += vector.Size;
                    vectors.Add(column);
                    break;
                default:
                    featureCount++;
                    break;
            }
        }

        var keyColumns = encoded.Schema.Count(c => c.Name != Columns.Label && c.Type is KeyDataViewType);
        double vectorValues = 0;
        var sampled = 0;
        using (var cursor = encoded.GetRowCursor(vectors))
        {
            var getters = vectors.Select(c => cursor.GetGetter<VBuffer<float>>(c)).ToList();
            VBuffer<float> buffer = default;
            while (sampled < SampledRows && cursor.MoveNext())
            {
                sampled++;
                foreach (var getter in getters)
                {
                    getter(ref buffer);
                    vectorValues += buffer.IsDense ? buffer.Length : buffer.GetValues().Length;
                }
            }
        }

        var valuesPerRow = keyColumns + (sampled == 0 ? 0 : vectorValues / sampled);
        return new TrainingSize(rows, featureCount, valuesPerRow, keyColumns, Math.Max(ClassCount, 1));
    }

    private SplitEvaluation Score(IDataView scored, string splitName, CancellationToken cancellationToken) =>
        Task.Kind == TaskKind.Classification
            ? EvaluateClassification(scored, splitName, cancellationToken)
            : EvaluateRegression(scored, cancellationToken);

    private SplitEvaluation EvaluateClassification(IDataView scored, string splitName, CancellationToken cancellationToken)
    {
        // Read by their own names: the user's columns may be called "Score" too, and ML.NET's hides them.
        var labelColumn = scored.Schema[Columns.Label];
        var scoreColumn = scored.Schema[TrainingPipeline.ScoreColumn];
        var rawColumn = scored.Schema.GetColumnOrNull(Columns.LabelValue);
        using var cursor = scored.GetRowCursor(rawColumn is { } raw ? [labelColumn, scoreColumn, raw] : [labelColumn, scoreColumn]);
        var labelGetter = cursor.GetGetter<uint>(labelColumn);
        var scoreGetter = cursor.GetGetter<VBuffer<float>>(scoreColumn);
        Func<string> describeRaw = () => "";
        var isMissing = rawColumn is { } rawLabel ? RawMissingTest(cursor, rawLabel, out describeRaw) : () => true;
        var scores = new ClassScores(ClassCount);
        var unseen = new SortedSet<string>(StringComparer.Ordinal);
        long unseenRows = 0;
        uint key = 0;
        VBuffer<float> score = default;
        while (cursor.MoveNext())
        {
            if ((scores.Count & 1023) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            labelGetter(ref key);
            if (key == 0)
            {
                if (!isMissing())
                {
                    unseenRows++;
                    if (unseen.Count < UnseenExamples)
                    {
                        unseen.Add(describeRaw());
                    }
                }

                continue;
            }

            scoreGetter(ref score);
            scores.Add((int)key - 1, score);
        }

        if (unseenRows > 0)
        {
            throw new InvalidInputException(
                $"The {splitName} split has {unseenRows} row(s) whose '{OutputColumn}' value never occurs in the training split " +
                $"(e.g. {string.Join(", ", unseen)}); re-split the dataset so every class is in the training split.");
        }

        return new SplitEvaluation(
            MetricCalculator.Classification(scores.Actual, scores.Probabilities, ClassCount),
            scores.Count,
            MetricCalculator.ConfusionMatrix(scores.Actual, scores.Probabilities, ClassCount));
    }

    private SplitEvaluation EvaluateRegression(IDataView scored, CancellationToken cancellationToken)
    {
        var labelColumn = scored.Schema[Columns.Label];
        var scoreColumn = scored.Schema[TrainingPipeline.ScoreColumn];
        using var cursor = scored.GetRowCursor([labelColumn, scoreColumn]);
        var labelGetter = cursor.GetGetter<float>(labelColumn);
        var scoreGetter = cursor.GetGetter<float>(scoreColumn);
        var actual = new List<double>();
        var predicted = new List<double>();
        float label = 0, score = 0;
        while (cursor.MoveNext())
        {
            if ((actual.Count & 1023) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            labelGetter(ref label);
            if (float.IsNaN(label))
            {
                continue;
            }

            scoreGetter(ref score);
            actual.Add(label);
            predicted.Add(score);
        }

        return new SplitEvaluation(MetricCalculator.Regression(actual, predicted), actual.Count, null);
    }

    private static Func<bool> RawMissingTest(DataViewRowCursor cursor, DataViewSchema.Column column, out Func<string> describe)
    {
        if (column.Type is NumberDataViewType)
        {
            var getter = cursor.GetGetter<float>(column);
            float value = 0;
            describe = () => $"'{value.ToString(CultureInfo.InvariantCulture)}'";
            return () =>
            {
                getter(ref value);
                return float.IsNaN(value);
            };
        }

        var textGetter = cursor.GetGetter<ReadOnlyMemory<char>>(column);
        ReadOnlyMemory<char> text = default;
        describe = () => $"'{text}'";
        return () =>
        {
            textGetter(ref text);
            return text.Span.IsWhiteSpace();
        };
    }

    private JsonArray ReadClassLabels(DataViewSchema.Column labelColumn)
    {
        var labels = new JsonArray();
        if (labelColumn.Annotations.Schema.GetColumnOrNull("KeyValues")?.Type is not VectorDataViewType keyValuesType)
        {
            return labels;
        }

        if (keyValuesType.ItemType is NumberDataViewType)
        {
            VBuffer<float> values = default;
            labelColumn.GetKeyValues(ref values);
            var integer = Schema[OutputColumn].Type == ColumnType.Integer;
            foreach (var value in values.DenseValues())
            {
                labels.Add(integer ? JsonValue.Create((long)value) : JsonValue.Create(value));
            }
        }
        else
        {
            VBuffer<ReadOnlyMemory<char>> values = default;
            labelColumn.GetKeyValues(ref values);
            foreach (var value in values.DenseValues())
            {
                labels.Add(value.ToString());
            }
        }

        return labels;
    }
}

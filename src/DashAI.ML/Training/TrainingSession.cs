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
/// </summary>
internal sealed class TrainingSession
{
    private const int UnseenExamples = 5;

    private readonly TextLoader _loader;
    private readonly TrainingPipeline _pipeline;
    private ITransformer? _labelMapper;

    public TrainingSession(MLTask task, ModelDefinition model, JsonObject parameters, DatasetSchema schema, int seed)
    {
        Task = task;
        Schema = schema;
        MLContext = new MLContext(seed);
        _loader = CanonicalCsv.CreateLoader(MLContext, schema);
        _pipeline = PipelineBuilder.BuildPipeline(MLContext, task, model, parameters, schema, seed);
    }

    public MLContext MLContext { get; }

    public MLTask Task { get; }

    public DatasetSchema Schema { get; }

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
    /// Fits the label mapping on the raw training split and returns the rows with a label, cached
    /// in memory (trainers make several passes). Throws <see cref="InvalidInputException"/> when
    /// the split cannot train the task.
    /// </summary>
    public IDataView PrepareTrainingData(IDataView rawTrain)
    {
        _labelMapper = _pipeline.LabelMapping.Fit(rawTrain);
        var labelled = MLContext.Data.FilterRowsByMissingValues(_labelMapper.Transform(rawTrain), TrainingPipeline.LabelColumn);
        var cached = MLContext.Data.Cache(labelled);
        var rows = Materialize(cached);
        if (rows == 0)
        {
            throw new InvalidInputException($"The training split has no row with a value in output column '{OutputColumn}'.");
        }

        if (Task.Kind == TaskKind.Classification)
        {
            var labelColumn = cached.Schema[TrainingPipeline.LabelColumn];
            ClassCount = labelColumn.Type is KeyDataViewType keyType ? checked((int)keyType.Count) : 0;
            ClassLabels = ReadClassLabels(labelColumn);
            if (ClassCount < 2)
            {
                throw new InvalidInputException(
                    $"The training split has {ClassCount} class in output column '{OutputColumn}'; classification needs at least 2.");
            }
        }

        return cached;
    }

    public ITransformer Fit(IDataView preparedTrain) => _pipeline.Model.Fit(preparedTrain);

    /// <summary>
    /// Scores a raw split and computes the task's metrics on its labelled rows. A label the
    /// training split never had is an <see cref="InvalidInputException"/> (the model cannot predict it).
    /// </summary>
    public SplitEvaluation Evaluate(ITransformer model, IDataView rawSplit, string splitName, CancellationToken cancellationToken)
    {
        var mapper = _labelMapper ?? throw new InvalidOperationException("Prepare the training data first.");
        var scored = model.Transform(mapper.Transform(rawSplit));
        return Task.Kind == TaskKind.Classification
            ? EvaluateClassification(scored, splitName, cancellationToken)
            : EvaluateRegression(scored, cancellationToken);
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

    /// <summary>Reads every column once, so a cached view holds the parsed data before any fit.</summary>
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

    private SplitEvaluation EvaluateClassification(IDataView scored, string splitName, CancellationToken cancellationToken)
    {
        var labelColumn = scored.Schema[TrainingPipeline.LabelColumn];
        var scoreColumn = scored.Schema[TrainingPipeline.ScoreColumn];
        var rawColumn = scored.Schema[OutputColumn];
        using var cursor = scored.GetRowCursor([labelColumn, scoreColumn, rawColumn]);
        var labelGetter = cursor.GetGetter<uint>(labelColumn);
        var scoreGetter = cursor.GetGetter<VBuffer<float>>(scoreColumn);
        var isMissing = RawMissingTest(cursor, rawColumn, out var describeRaw);
        var actual = new List<int>();
        var probabilities = new List<float[]>();
        var unseen = new SortedSet<string>(StringComparer.Ordinal);
        long unseenRows = 0;
        uint key = 0;
        VBuffer<float> score = default;
        while (cursor.MoveNext())
        {
            if ((actual.Count & 1023) == 0)
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
            actual.Add((int)key - 1);
            probabilities.Add(score.DenseValues().ToArray());
        }

        if (unseenRows > 0)
        {
            throw new InvalidInputException(
                $"The {splitName} split has {unseenRows} row(s) whose '{OutputColumn}' value never occurs in the training split " +
                $"(e.g. {string.Join(", ", unseen)}); re-split the dataset so every class is in the training split.");
        }

        return new SplitEvaluation(
            MetricCalculator.Classification(actual, probabilities, ClassCount),
            actual.Count,
            MetricCalculator.ConfusionMatrix(actual, probabilities, ClassCount));
    }

    private static SplitEvaluation EvaluateRegression(IDataView scored, CancellationToken cancellationToken)
    {
        var labelColumn = scored.Schema[TrainingPipeline.LabelColumn];
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

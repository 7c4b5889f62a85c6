using System.Globalization;
using DashAI.ML.Data;
using DashAI.ML.Tasks;
using DashAI.ML.Training;
using Microsoft.Extensions.ObjectPool;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace DashAI.ML.Prediction;

/// <summary>
/// One scored row. Classification: <see cref="Label"/> (text labels) or <see cref="NumericLabel"/> (integer labels),
/// and <see cref="Probabilities"/> in <see cref="PredictionModel.ClassLabels"/> order. Regression: <see cref="Value"/>.
/// </summary>
public sealed record ScoredRow(string? Label, double? NumericLabel, float[]? Probabilities, float? Value);

/// <summary>
/// A saved model zip (what <see cref="TrainingResult.SaveModel"/> writes) loaded for prediction, with the dataset
/// schema it was trained on. Safe for concurrent use: every call takes a scoring engine from a pool (a PredictionEngine
/// style row mapper is not thread-safe) and gives it back.
/// </summary>
public sealed class PredictionModel
{
    private readonly ObjectPool<ScoringEngine> _engines;

    private PredictionModel(MLContext mlContext, ITransformer transformer, DataViewSchema inputSchema, PredictionInputs inputs, long modelBytes)
    {
        MLContext = mlContext;
        Transformer = transformer;
        InputSchema = inputSchema;
        Inputs = inputs;
        InputSlots = new int[inputSchema.Count];
        for (var i = 0; i < inputSchema.Count; i++)
        {
            var column = inputSchema[i];
            var slot = inputs.Columns.Select(c => c.Name).ToList().IndexOf(column.Name);
            if (slot < 0 || CanonicalCsv.KindOf(inputs.Columns[slot].Type) != (column.Type is TextDataViewType ? DataKind.String : DataKind.Single))
            {
                throw new InvalidInputException($"The model reads input column '{column.Name}' ({column.Type}), which the dataset's schema does not define as such.");
            }

            InputSlots[i] = slot;
        }

        var output = transformer.GetOutputSchema(inputSchema);
        var score = output[TrainingPipeline.ScoreColumn];
        Kind = score.Type is VectorDataViewType ? TaskKind.Classification : TaskKind.Regression;
        ClassLabels = Kind == TaskKind.Classification ? ReadClassLabels(score) : [];
        NumericLabels = Kind == TaskKind.Classification && output[TrainingPipeline.PredictedLabelColumn].Type is not TextDataViewType;
        // The trees and weights held in memory take a few times their zipped size.
        EstimatedBytes = (modelBytes * 4) + (1L << 20);
        _engines = new DefaultObjectPoolProvider { MaximumRetained = Environment.ProcessorCount * 2 }
            .Create(new EnginePolicy(this));
    }

    public TaskKind Kind { get; }

    /// <summary>Classification: the class labels in the order of <see cref="ScoredRow.Probabilities"/> (the run's "class_labels").</summary>
    public IReadOnlyList<string> ClassLabels { get; }

    /// <summary>Whether the labels are integers (then <see cref="ScoredRow.NumericLabel"/> holds the prediction).</summary>
    public bool NumericLabels { get; }

    public PredictionInputs Inputs { get; }

    /// <summary>What an instance should count this model as in a cache.</summary>
    public long EstimatedBytes { get; }

    internal MLContext MLContext { get; }

    internal ITransformer Transformer { get; }

    internal DataViewSchema InputSchema { get; }

    /// <summary>For each column of the saved input schema, its index among <see cref="PredictionInputs.Columns"/>.</summary>
    internal int[] InputSlots { get; }

    /// <summary>Loads a model zip; <paramref name="schema"/> is the stored schema of the dataset it was trained on.</summary>
    public static PredictionModel Load(Stream modelZip, DatasetSchema schema)
    {
        ArgumentNullException.ThrowIfNull(modelZip);
        ArgumentNullException.ThrowIfNull(schema);
        var mlContext = new MLContext(seed: 0);
        using var buffer = new MemoryStream();
        modelZip.CopyTo(buffer);
        buffer.Position = 0;
        var transformer = mlContext.Model.Load(buffer, out var inputSchema);
        return new PredictionModel(mlContext, transformer, inputSchema, new PredictionInputs(schema), buffer.Length);
    }

    public ScoredRow Score(InputRow row) => Score([row])[0];

    /// <summary>Scores rows in order with one engine from the pool.</summary>
    public IReadOnlyList<ScoredRow> Score(IReadOnlyList<InputRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var engine = _engines.Get();
        try
        {
            var results = new ScoredRow[rows.Count];
            for (var i = 0; i < rows.Count; i++)
            {
                results[i] = ScoreWith(engine, rows[i]);
            }

            return results;
        }
        finally
        {
            _engines.Return(engine);
        }
    }

    /// <summary>An engine of its own, for a caller that scores a long stream of rows on one thread (the batch scorer).</summary>
    internal ScoringEngine RentEngine() => _engines.Get();

    internal void ReturnEngine(ScoringEngine engine) => _engines.Return(engine);

    internal ScoredRow ScoreWith(ScoringEngine engine, InputRow row)
    {
        if (Kind == TaskKind.Regression)
        {
            return new ScoredRow(null, null, null, engine.Regress(row));
        }

        var probabilities = new float[ClassLabels.Count];
        engine.Classify(row, out var text, out var number, probabilities);
        return NumericLabels
            ? new ScoredRow(null, number, probabilities, null)
            : new ScoredRow(text.ToString(), null, probabilities, null);
    }

    private static string[] ReadClassLabels(DataViewSchema.Column score)
    {
        var size = ((VectorDataViewType)score.Type).Size;
        if (score.HasSlotNames())
        {
            VBuffer<ReadOnlyMemory<char>> names = default;
            score.GetSlotNames(ref names);
            return [.. names.DenseValues().Select(n => n.ToString())];
        }

        // Without slot names the classes are known only by position.
        return [.. Enumerable.Range(0, size).Select(i => i.ToString(CultureInfo.InvariantCulture))];
    }

    private sealed class EnginePolicy(PredictionModel model) : PooledObjectPolicy<ScoringEngine>
    {
        public override ScoringEngine Create() => new(model.Transformer, model.InputSchema, model);

        public override bool Return(ScoringEngine obj) => true;
    }
}

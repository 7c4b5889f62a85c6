using DashAI.ML.Training;
using Google.Protobuf;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace DashAI.ML.Prediction;

/// <summary>A model whose pipeline holds a step the ONNX converter cannot export; <see cref="Step"/> names it.</summary>
public sealed class ModelExportException : Exception
{
    public ModelExportException(string step, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Step = step;
    }

    public ModelExportException()
        : this("unknown", "The model cannot be exported to ONNX.")
    {
    }

    public ModelExportException(string message)
        : this("unknown", message)
    {
    }

    public ModelExportException(string message, Exception innerException)
        : this("unknown", message, innerException)
    {
    }

    public string Step { get; }
}

/// <summary>
/// Exports a saved model to ONNX with ML.NET's converter. The ONNX graph reads the dataset's input columns by their
/// names (numbers as float tensors of shape [N, 1], every other column as string tensors [N, 1], missing numbers as
/// NaN and missing text as "") and answers <c>PredictedLabel.output</c> and <c>Score.output</c>, as the zip does.
/// The converter exports what it can and silently stops at a step it cannot export, so the result is checked: a
/// graph that does not start from the dataset's columns, or a conversion that throws, is a
/// <see cref="ModelExportException"/> naming the first step that does not convert.
/// </summary>
public static class OnnxExport
{
    /// <summary>The ONNX outputs, in order: the predicted label, then the scores (class probabilities or the value).</summary>
    public static IReadOnlyList<string> OutputNames { get; } =
        [TrainingPipeline.PredictedLabelColumn + ".output", TrainingPipeline.ScoreColumn + ".output"];

    public static void Export(PredictionModel model, Stream destination)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(destination);
        var bytes = Convert(model.MLContext, model.Transformer, model.InputSchema, model.Inputs.Columns.Select(c => c.Name).ToHashSet(StringComparer.Ordinal));
        destination.Write(bytes);
    }

    private static byte[] Convert(MLContext mlContext, ITransformer transformer, DataViewSchema inputSchema, HashSet<string> inputNames)
    {
        var steps = Flatten(transformer).ToList();
        var outcome = TryConvert(mlContext, transformer, inputSchema, inputNames);
        if (outcome.Bytes is not null)
        {
            return outcome.Bytes;
        }

        // The converter fails in its own ways (text featurization: a KeyNotFoundException inside it).
        // Find the first step that breaks the export: the longest prefix of the pipeline that converts whole.
        for (var i = 0; i < steps.Count; i++)
        {
            var prefix = new TransformerChain<ITransformer>([.. steps.Take(i + 1)]);
            var partial = TryConvert(mlContext, prefix, inputSchema, inputNames, requireOutputs: false);
            if (partial.Bytes is null)
            {
                var step = Describe(steps[i]);
                throw new ModelExportException(step, $"The model cannot be exported to ONNX: step {i + 1} of {steps.Count} ({step}) has no ONNX form{Reason(partial.Error)}.", partial.Error);
            }
        }

        throw new ModelExportException("output", $"The model cannot be exported to ONNX{Reason(outcome.Error)}.", outcome.Error);
    }

    private static (byte[]? Bytes, Exception? Error) TryConvert(
        MLContext mlContext, ITransformer transformer, DataViewSchema inputSchema, HashSet<string> inputNames, bool requireOutputs = true)
    {
        try
        {
            var data = new EmptyDataView(inputSchema);
            using var buffer = new MemoryStream();
            if (requireOutputs)
            {
                mlContext.Model.ConvertToOnnx(transformer, data, buffer, TrainingPipeline.PredictedLabelColumn, TrainingPipeline.ScoreColumn);
            }
            else
            {
                mlContext.Model.ConvertToOnnx(transformer, data, buffer);
            }

            var bytes = buffer.ToArray();
            var (inputs, outputs) = GraphInputsAndOutputs(bytes);
            // A graph that reads anything but the dataset's columns started after a step the converter skipped.
            if (inputs.Count == 0 || inputs.Any(name => !inputNames.Contains(name)))
            {
                return (null, null);
            }

            if (requireOutputs && !OutputNames.All(outputs.Contains))
            {
                return (null, null);
            }

            return (bytes, null);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            return (null, exception);
        }
    }

    /// <summary>The names of the graph's inputs and outputs, read from the ONNX ModelProto (graph = 7; input = 11, output = 12; name = 1).</summary>
    internal static (List<string> Inputs, List<string> Outputs) GraphInputsAndOutputs(byte[] model)
    {
        var inputs = new List<string>();
        var outputs = new List<string>();
        var reader = new CodedInputStream(model);
        uint tag;
        while ((tag = reader.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) != 7 || WireFormat.GetTagWireType(tag) != WireFormat.WireType.LengthDelimited)
            {
                reader.SkipLastField();
                continue;
            }

            var graph = new CodedInputStream(reader.ReadBytes().ToByteArray());
            while ((tag = graph.ReadTag()) != 0)
            {
                var field = WireFormat.GetTagFieldNumber(tag);
                if (field is not (11 or 12) || WireFormat.GetTagWireType(tag) != WireFormat.WireType.LengthDelimited)
                {
                    graph.SkipLastField();
                    continue;
                }

                var valueInfo = new CodedInputStream(graph.ReadBytes().ToByteArray());
                while ((tag = valueInfo.ReadTag()) != 0)
                {
                    if (WireFormat.GetTagFieldNumber(tag) == 1)
                    {
                        (field == 11 ? inputs : outputs).Add(valueInfo.ReadString());
                    }
                    else
                    {
                        valueInfo.SkipLastField();
                    }
                }
            }
        }

        return (inputs, outputs);
    }

    private static IEnumerable<ITransformer> Flatten(ITransformer transformer)
    {
        if (transformer is IEnumerable<ITransformer> chain)
        {
            foreach (var inner in chain)
            {
                foreach (var step in Flatten(inner))
                {
                    yield return step;
                }
            }
        }
        else
        {
            yield return transformer;
        }
    }

    /// <summary>The step's ML.NET name: its type, or the estimator type a nested "Transformer" class belongs to.</summary>
    private static string Describe(ITransformer step)
    {
        var type = step.GetType();
        var name = type.IsNested && type.DeclaringType is { } owner ? owner.Name : type.Name;
        var tick = name.IndexOf('`', StringComparison.Ordinal);
        return tick >= 0 ? name[..tick] : name;
    }

    private static string Reason(Exception? error) => error is null ? "" : $": {error.Message}";

    /// <summary>A data view with the model's input schema and no rows: the converter needs only the schema.</summary>
    private sealed class EmptyDataView(DataViewSchema schema) : IDataView
    {
        public bool CanShuffle => false;

        public DataViewSchema Schema { get; } = schema;

        public long? GetRowCount() => 0;

        public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
            throw new NotSupportedException("The export reads no rows.");

        public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
            throw new NotSupportedException("The export reads no rows.");
    }
}

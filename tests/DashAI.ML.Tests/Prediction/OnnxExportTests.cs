using DashAI.ML.Models;
using DashAI.ML.Prediction;
using DashAI.ML.Tasks;
using DashAI.ML.Training;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace DashAI.ML.Tests.Prediction;

public class OnnxExportTests
{
    /// <summary>The models the README lists as exporting; every other model must fail with a named step.</summary>
    public static readonly string[] Exporting =
    [
        "LightGbmClassifier", "FastTreeClassifier", "FastForestClassifier", "LogisticRegression", "SdcaMaximumEntropy", "LinearSvm",
        "LightGbmRegressor", "FastTreeRegressor", "FastForestRegressor", "RidgeRegressor", "SdcaRegressor", "OnlineGradientDescentRegressor",
    ];

    public static TheoryData<string> EveryModel => [.. ModelCatalog.All.Select(m => m.Name)];

    [Theory]
    [MemberData(nameof(EveryModel))]
    public void OnnxRuntimeScoresTheTestSplitAsMlNetDoes(string modelName)
    {
        var trained = TrainedModels.Get(modelName);
        var model = trained.Loaded;
        using var onnx = new MemoryStream();
        if (!Exporting.Contains(modelName))
        {
            var error = Assert.Throws<ModelExportException>(() => OnnxExport.Export(model, onnx));
            Assert.Contains(error.Step, error.Message, StringComparison.Ordinal);
            return;
        }

        OnnxExport.Export(model, onnx);

        var rows = model.Inputs.CheckCsv(new StringReader(File.ReadAllText(trained.Data.TestPath))).Rows;
        var expected = model.Score(rows);
        var (labels, scores) = RunOnnx(onnx.ToArray(), model, rows);
        for (var i = 0; i < rows.Count; i++)
        {
            if (model.Kind == TaskKind.Classification)
            {
                Assert.Equal(expected[i].Label, labels[i]);
                for (var c = 0; c < model.ClassLabels.Count; c++)
                {
                    Assert.True(
                        Math.Abs(expected[i].Probabilities![c] - scores[i][c]) <= 1e-4,
                        $"{modelName} row {i + 1} class {model.ClassLabels[c]}: ML.NET {expected[i].Probabilities![c]}, ONNX {scores[i][c]}");
                }
            }
            else
            {
                var value = expected[i].Value!.Value;
                Assert.True(
                    Math.Abs(value - scores[i][0]) <= 1e-4 * Math.Max(1, Math.Abs(value)),
                    $"{modelName} row {i + 1}: ML.NET {value}, ONNX {scores[i][0]}");
            }
        }
    }

    [Fact]
    public void TheGraphReadsTheDatasetsColumnsAndAnswersLabelAndScore()
    {
        var model = TrainedModels.Get("LogisticRegression").Loaded;
        using var onnx = new MemoryStream();

        OnnxExport.Export(model, onnx);

        var (inputs, outputs) = OnnxExport.GraphInputsAndOutputs(onnx.ToArray());
        Assert.Equal(model.Inputs.Columns.Select(c => c.Name).Order(), inputs.Order());
        Assert.Equal(OnnxExport.OutputNames, outputs.Take(2));
    }

    [Fact]
    public void ATextModelCannotExportAndTheErrorNamesTheTextFeaturizationStep()
    {
        var data = TestData.PackageSections;
        var result = Trainer.Train(data.Request(TextClassificationTask.TaskName, "LogisticRegression"), null, CancellationToken.None);
        using var zip = new MemoryStream();
        result.SaveModel(zip);
        zip.Position = 0;
        var model = PredictionModel.Load(zip, data.Schema);
        using var onnx = new MemoryStream();

        var error = Assert.Throws<ModelExportException>(() => OnnxExport.Export(model, onnx));

        Assert.Equal("TextFeaturizingEstimator", error.Step);
        Assert.StartsWith("The model cannot be exported to ONNX: step ", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, onnx.Length);
    }

    /// <summary>Labels (as text) and score rows from ONNX Runtime over the given rows, one tensor [N, 1] per input column.</summary>
    internal static (List<string?> Labels, List<float[]> Scores) RunOnnx(byte[] onnx, PredictionModel model, IReadOnlyList<InputRow> rows)
    {
        using var session = new InferenceSession(onnx);
        var inputs = new List<NamedOnnxValue>();
        for (var c = 0; c < model.Inputs.Columns.Count; c++)
        {
            var column = model.Inputs.Columns[c];
            if (column.Type is DashAI.ML.Data.ColumnType.Integer or DashAI.ML.Data.ColumnType.Float)
            {
                var tensor = new DenseTensor<float>([rows.Count, 1]);
                for (var r = 0; r < rows.Count; r++)
                {
                    tensor[r, 0] = rows[r].Numbers[c];
                }

                inputs.Add(NamedOnnxValue.CreateFromTensor(column.Name, tensor));
            }
            else
            {
                var tensor = new DenseTensor<string>([rows.Count, 1]);
                for (var r = 0; r < rows.Count; r++)
                {
                    tensor[r, 0] = rows[r].Texts[c].ToString();
                }

                inputs.Add(NamedOnnxValue.CreateFromTensor(column.Name, tensor));
            }
        }

        using var results = session.Run(inputs, OnnxExport.OutputNames);
        var labelValue = results.First(r => r.Name == OnnxExport.OutputNames[0]);
        var score = results.First(r => r.Name == OnnxExport.OutputNames[1]).AsTensor<float>();
        var width = score.Length / rows.Count;
        var labels = new List<string?>();
        var scores = new List<float[]>();
        for (var r = 0; r < rows.Count; r++)
        {
            scores.Add([.. Enumerable.Range(0, (int)width).Select(i => score.GetValue((int)(r * width) + i))]);
            labels.Add(model.Kind != TaskKind.Classification ? null
                : model.NumericLabels ? labelValue.AsTensor<float>().GetValue(r).ToString(System.Globalization.CultureInfo.InvariantCulture)
                : labelValue.AsTensor<string>().GetValue(r));
        }

        return (labels, scores);
    }
}

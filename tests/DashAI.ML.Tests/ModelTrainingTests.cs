using System.Globalization;
using System.Text.Json.Nodes;
using DashAI.ML.Data;
using DashAI.ML.Training;

namespace DashAI.ML.Tests;

public class ModelTrainingTests
{
    // Small settings keep the suite fast; defaults are measured by the benchmark instead.
    private static readonly Dictionary<string, string> FastParameters = new(StringComparer.Ordinal)
    {
        ["LightGbmClassifier"] = """{"number_of_iterations": 30}""",
        ["LightGbmRegressor"] = """{"number_of_iterations": 30}""",
        ["FastTreeClassifier"] = """{"number_of_trees": 20}""",
        ["FastTreeRegressor"] = """{"number_of_trees": 20}""",
        ["FastForestClassifier"] = """{"number_of_trees": 20}""",
        ["FastForestRegressor"] = """{"number_of_trees": 20}""",
    };

    [Theory]
    [InlineData("LightGbmClassifier")]
    [InlineData("FastTreeClassifier")]
    [InlineData("FastForestClassifier")]
    [InlineData("LogisticRegression")]
    [InlineData("SdcaMaximumEntropy")]
    [InlineData("LinearSvm")]
    public void ClassificationModelBeatsTheMajorityClassOnWine(string model)
    {
        var result = Trainer.Train(TestData.Wine.Request("TabularClassificationTask", model, Parameters(model)), null, CancellationToken.None);

        AssertBeatsMajority(result, margin: 0.3);
    }

    [Theory]
    [InlineData("LightGbmClassifier")]
    [InlineData("LinearSvm")]
    public void TwoClassModelBeatsTheMajorityClassAndReportsRocAuc(string model)
    {
        var result = Trainer.Train(TestData.BreastCancer.Request("TabularClassificationTask", model, Parameters(model)), null, CancellationToken.None);

        AssertBeatsMajority(result, margin: 0.2);
        Assert.InRange(result.Metrics[SplitNames.Test]["roc_auc"], 0.9, 1.0);
    }

    [Theory]
    [InlineData("LogisticRegression")]
    [InlineData("LightGbmClassifier")]
    public void TextClassificationBeatsTheMajorityClassOnPackageSections(string model)
    {
        var result = Trainer.Train(TestData.PackageSections.Request("TextClassificationTask", model, Parameters(model)), null, CancellationToken.None);

        AssertBeatsMajority(result, margin: 0.2);
    }

    [Theory]
    [InlineData("LightGbmRegressor")]
    [InlineData("FastTreeRegressor")]
    [InlineData("FastForestRegressor")]
    [InlineData("RidgeRegressor")]
    [InlineData("SdcaRegressor")]
    [InlineData("OnlineGradientDescentRegressor")]
    public void RegressionModelBeatsTheMeanOnDiabetes(string model)
    {
        var data = TestData.Diabetes;

        var result = Trainer.Train(data.Request("RegressionTask", model, Parameters(model)), null, CancellationToken.None);

        var trainMean = Labels(data.TrainPath, "progression").Average();
        var test = Labels(data.TestPath, "progression");
        var baselineRmse = Math.Sqrt(test.Average(y => (y - trainMean) * (y - trainMean)));
        var metrics = result.Metrics[SplitNames.Test];
        Assert.True(metrics["rmse"] < baselineRmse * 0.95, $"{model}: rmse {metrics["rmse"]} vs mean baseline {baselineRmse}");
        Assert.True(metrics["r2"] > 0.1, $"{model}: r2 {metrics["r2"]}");
        Assert.Equal(metrics["rmse"] * metrics["rmse"], metrics["mse"], 6);
    }

    internal static JsonObject Parameters(string model) =>
        FastParameters.TryGetValue(model, out var json) ? JsonNode.Parse(json)!.AsObject() : [];

    private static void AssertBeatsMajority(TrainingResult result, double margin)
    {
        var confusion = result.Artifacts["confusion_matrix"]![SplitNames.Test]!.AsArray();
        var rows = confusion.Select(r => r!.AsArray().Sum(v => v!.GetValue<long>())).ToList();
        var majority = (double)rows.Max() / rows.Sum();
        var accuracy = result.Metrics[SplitNames.Test]["accuracy"];
        Assert.True(accuracy > majority + margin, $"accuracy {accuracy} vs majority {majority}");
        foreach (var split in SplitNames.All)
        {
            Assert.Contains("f1_macro", result.Metrics[split].Keys);
        }
    }

    private static List<double> Labels(string path, string column)
    {
        var rows = SimpleSchemaInference.ReadCsv(File.ReadAllText(path));
        var index = rows[0].IndexOf(column);
        return [.. rows.Skip(1).Select(r => double.Parse(r[index], CultureInfo.InvariantCulture))];
    }
}

using System.Globalization;
using System.Text.Json.Nodes;
using DashAI.ML.Data;
using DashAI.ML.Training;
using Microsoft.ML;

namespace DashAI.ML.Tests.Training;

public class LightGbmNativeParametersTests
{
    // Thirty training rows, x = 100..129, each value once; only x = 100 has the odd label. A leaf can hold one
    // row, so whether x = 100 gets a leaf of its own depends only on the binning: with 3 rows per bin it shares
    // a bin (and so every leaf) with 101 and 102.
    private static SplitFiles StepSet(bool classification)
    {
        string Label(int x) => classification ? (x == 100 ? "odd" : "even") : (x == 100 ? "0" : "10");
        var train = TestData.WriteCsv("step-train", [["x", "y"], .. Enumerable.Range(100, 30).Select(x => new[] { x.ToString(CultureInfo.InvariantCulture), Label(x) })]);
        var test = TestData.WriteCsv("step-test", [["x", "y"], ["100", Label(100)]]);
        return new SplitFiles(SimpleSchemaInference.Infer(train, "y"), train, train, test);
    }

    private static Dictionary<string, double> TestMetrics(bool classification, int rowsPerBin, double minimumChildWeight = 0.001)
    {
        var parameters = new JsonObject
        {
            ["number_of_iterations"] = 200,
            ["learning_rate"] = 0.3,
            ["minimum_example_count_per_leaf"] = 1,
            ["minimum_example_count_per_bin"] = rowsPerBin,
            ["minimum_child_weight"] = minimumChildWeight,
        };
        var request = StepSet(classification).Request(
            classification ? "TabularClassificationTask" : "RegressionTask", classification ? "LightGbmClassifier" : "LightGbmRegressor", parameters);
        return Trainer.Train(request, null, CancellationToken.None).Metrics[SplitNames.Test];
    }

    [Fact]
    public void RowsPerBinReachLightGbmInTheRegressor()
    {
        Assert.InRange(TestMetrics(classification: false, rowsPerBin: 1)["rmse"], 0, 0.5);
        Assert.InRange(TestMetrics(classification: false, rowsPerBin: 3)["rmse"], 5, 10);
    }

    [Fact]
    public void RowsPerBinAndChildWeightReachLightGbmInTheClassifier()
    {
        Assert.Equal(1.0, TestMetrics(classification: true, rowsPerBin: 1)["accuracy"]);
        Assert.Equal(0.0, TestMetrics(classification: true, rowsPerBin: 3)["accuracy"]);

        // A leaf must now hold far more second-derivative mass than one row's: x = 100 gets no leaf of its own.
        Assert.Equal(0.0, TestMetrics(classification: true, rowsPerBin: 1, minimumChildWeight: 1)["accuracy"]);
    }

    [Fact]
    public void ATrainerThatIsNotLightGbmIsRefused()
    {
        var trainer = new MLContext(0).Regression.Trainers.Sdca();

        Assert.Throws<ArgumentException>(() => trainer.WithMinimumDataInBin(1));
    }
}

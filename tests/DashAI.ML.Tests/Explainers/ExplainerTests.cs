using System.Text.Json.Nodes;
using DashAI.ML.Explainers;

namespace DashAI.ML.Tests.Explainers;

public class ExplainerTests
{
    [Theory]
    [InlineData("RidgeRegressor", false)]
    [InlineData("LightGbmRegressor", false)]
    [InlineData("LogisticRegression", true)]
    [InlineData("LightGbmClassifier", true)]
    public void PermutationImportanceRanksThePlantedColumnFirstAndTheNoiseLast(string model, bool classification)
    {
        var trained = ExplainerTestData.Trained(model, classification);

        var result = trained.Explain(ExplainerCatalog.PermutationFeatureImportance).Result;

        var features = Strings(result["features"]);
        var means = Numbers(result["importances_mean"]);
        Assert.Equal("strong", features[0]);
        Assert.Equal("noise", features[^1]);
        Assert.Equal(4, features.Count);
        Assert.True(means[0] > 0.2, $"importance of 'strong': {means[0]}");
        Assert.True(Math.Abs(means[^1]) < 0.02, $"importance of 'noise': {means[^1]}");
        Assert.Equal(means.OrderDescending(), means);
        Assert.Equal(classification ? "accuracy" : "r2", result["scoring"]!.GetValue<string>());
        Assert.Equal("test", result["split"]!.GetValue<string>());
        Assert.Equal(400, result["rows"]!.GetValue<int>());
        Assert.All(Numbers(result["importances_std"]), s => Assert.True(s >= 0));
    }

    [Fact]
    public void PermutationImportanceIsReproducibleWithASeedAndHonoursItsParameters()
    {
        var trained = ExplainerTestData.Trained("RidgeRegressor", classification: false);
        var parameters = new JsonObject { ["split"] = "validation", ["scoring"] = "rmse", ["n_repeats"] = 3, ["max_samples"] = 150, ["seed"] = 4 };

        var first = trained.Explain(ExplainerCatalog.PermutationFeatureImportance, (JsonObject)parameters.DeepClone()).Result;
        var second = trained.Explain(ExplainerCatalog.PermutationFeatureImportance, (JsonObject)parameters.DeepClone()).Result;
        var otherSeed = trained.Explain(ExplainerCatalog.PermutationFeatureImportance, new JsonObject { ["seed"] = 5, ["max_samples"] = 150 }).Result;

        Assert.Equal(first.ToJsonString(), second.ToJsonString());
        Assert.NotEqual(first["importances_mean"]!.ToJsonString(), otherSeed["importances_mean"]!.ToJsonString());
        Assert.Equal(150, first["rows"]!.GetValue<int>());
        Assert.Equal("validation", first["split"]!.GetValue<string>());
        // An error metric grows when an important column is shuffled: the importance stays positive.
        Assert.Equal("strong", Strings(first["features"])[0]);
        Assert.True(Numbers(first["importances_mean"])[0] > 1);
    }

    [Fact]
    public void PartialDependenceOfAMonotoneRelationIsMonotone()
    {
        var regression = ExplainerTestData.Trained("RidgeRegressor", classification: false);
        var classification = ExplainerTestData.Trained("LogisticRegression", classification: true);

        var numeric = regression.Explain(ExplainerCatalog.PartialDependence, new JsonObject { ["features"] = new JsonArray("strong", "colour") }).Result;
        var classes = classification.Explain(ExplainerCatalog.PartialDependence, new JsonObject { ["features"] = new JsonArray("strong"), ["grid_resolution"] = 10 }).Result;

        var strong = numeric["features"]![0]!;
        var grid = Numbers(strong["grid_values"]);
        var average = Numbers(strong["average"]![0]);
        Assert.Equal(20, grid.Count);
        Assert.All(grid.Zip(grid.Skip(1)), pair => Assert.True(pair.Second > pair.First));
        Assert.All(average.Zip(average.Skip(1)), pair => Assert.True(pair.Second > pair.First, $"average not increasing: {string.Join(", ", average)}"));
        // The slope of the planted relation is 4.
        Assert.Equal(4, (average[^1] - average[0]) / (grid[^1] - grid[0]), 0.3);
        var colour = numeric["features"]![1]!;
        Assert.Equal("categorical", colour["kind"]!.GetValue<string>());
        Assert.Equal(["blue", "green", "red"], Strings(colour["grid_values"]).Order());

        // One curve per class: the probability of "high" rises with 'strong', that of "low" falls.
        Assert.Equal(["high", "low", "mid"], Strings(classes["outputs"]));
        var curves = classes["features"]![0]!["average"]!.AsArray();
        Assert.Equal(3, curves.Count);
        var high = Numbers(curves[0]);
        var low = Numbers(curves[1]);
        Assert.All(high.Zip(high.Skip(1)), pair => Assert.True(pair.Second >= pair.First - 1e-9));
        Assert.All(low.Zip(low.Skip(1)), pair => Assert.True(pair.Second <= pair.First + 1e-9));
        Assert.True(high[^1] > 0.9 && low[0] > 0.9);
    }

    [Fact]
    public void PartialDependenceDefaultsToTheMostImportantColumns()
    {
        var trained = ExplainerTestData.Trained("RidgeRegressor", classification: false);

        var result = trained.Explain(ExplainerCatalog.PartialDependence).Result;

        var features = result["features"]!.AsArray().Select(f => f!["feature"]!.GetValue<string>()).ToList();
        Assert.Equal(4, features.Count);
        Assert.Equal("strong", features[0]);
    }

    [Fact]
    public void ContributionsOfALinearModelAddUpToItsRawScore()
    {
        var trained = ExplainerTestData.Trained("RidgeRegressor", classification: false);
        var rows = new JsonArray(
            new JsonObject { ["strong"] = 2.0, ["weak"] = -1.0, ["noise"] = 3.0, ["colour"] = "blue" },
            new JsonObject { ["strong"] = -4.5, ["colour"] = "red" });

        var result = trained.Explain(ExplainerCatalog.FeatureContributions, new JsonObject { ["rows"] = rows });

        var json = result.Result;
        Assert.Equal("linear", json["method"]!.GetValue<string>());
        Assert.Equal(2, json["rows"]!.AsArray().Count);
        foreach (var row in json["rows"]!.AsArray())
        {
            var contributions = row!["contributions"]!.AsObject();
            var sum = row["base_value"]!.GetValue<double>() + contributions.Sum(c => c.Value!.GetValue<double>());
            var prediction = double.Parse(row["prediction"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(prediction, sum, 1e-3);
            Assert.Equal(prediction, row["output_value"]!.GetValue<double>(), 1e-3);
        }

        // 'strong' moves the first row's prediction by about 4 per unit from the mean (≈ 0), 'noise' hardly.
        var first = json["rows"]![0]!["contributions"]!;
        Assert.Equal(8, first["strong"]!.GetValue<double>(), 0.8);
        Assert.True(Math.Abs(first["noise"]!.GetValue<double>()) < 0.3);
        Assert.Equal(2, result.Plots.Count);
    }

    [Fact]
    public void ContributionsOfAMulticlassLinearModelExplainThePredictedClassLogit()
    {
        var trained = ExplainerTestData.Trained("LogisticRegression", classification: true);
        var rows = new JsonArray(new JsonObject { ["strong"] = 4.0, ["weak"] = 0.0, ["noise"] = 0.0, ["colour"] = "green" });

        var row = trained.Explain(ExplainerCatalog.FeatureContributions, new JsonObject { ["rows"] = rows }).Result["rows"]![0]!;

        Assert.Equal("high", row["prediction"]!.GetValue<string>());
        Assert.Contains("logit", row["explained"]!.GetValue<string>(), StringComparison.Ordinal);
        var contributions = row["contributions"]!.AsObject().ToDictionary(c => c.Key, c => c.Value!.GetValue<double>());
        Assert.Equal(row["output_value"]!.GetValue<double>(), row["base_value"]!.GetValue<double>() + contributions.Values.Sum(), 1e-4);
        Assert.Equal("strong", contributions.MaxBy(c => c.Value).Key);
        Assert.True(row["probabilities"]!["high"]!.GetValue<double>() > 0.5);
    }

    [Fact]
    public void SamplingShapleyValuesOfATreeModelAddUpToThePredictionAndFindThePlantedColumn()
    {
        var trained = ExplainerTestData.Trained("LightGbmRegressor", classification: false);
        var parameters = new JsonObject
        {
            ["rows"] = new JsonArray(new JsonObject { ["strong"] = 4.0, ["weak"] = 1.0, ["noise"] = -2.0, ["colour"] = "green" }),
            ["n_samples"] = 200,
            ["seed"] = 3,
        };

        var first = trained.Explain(ExplainerCatalog.FeatureContributions, (JsonObject)parameters.DeepClone()).Result;
        var again = trained.Explain(ExplainerCatalog.FeatureContributions, (JsonObject)parameters.DeepClone()).Result;

        Assert.Equal(first.ToJsonString(), again.ToJsonString());
        Assert.Equal("sampling_shapley", first["method"]!.GetValue<string>());
        var row = first["rows"]![0]!;
        var contributions = row["contributions"]!.AsObject().ToDictionary(c => c.Key, c => c.Value!.GetValue<double>());
        var prediction = double.Parse(row["prediction"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(prediction, row["output_value"]!.GetValue<double>(), 1e-3);
        Assert.Equal(prediction, row["base_value"]!.GetValue<double>() + contributions.Values.Sum(), 1e-3);
        // strong = 4 is 4 units above its mean: about 16 for a model that learnt the slope of 4.
        Assert.Equal(16, contributions["strong"], 3.5);
        Assert.True(Math.Abs(contributions["noise"]) < 1.5, $"noise: {contributions["noise"]}");
    }

    [Fact]
    public void SamplingShapleyValuesOfAClassifierExplainThePredictedClassProbability()
    {
        var trained = ExplainerTestData.Trained("LightGbmClassifier", classification: true);
        var rows = new JsonArray(new JsonObject { ["strong"] = -4.0, ["weak"] = 0.0, ["noise"] = 0.0, ["colour"] = "red" });

        var row = trained.Explain(ExplainerCatalog.FeatureContributions, new JsonObject { ["rows"] = rows, ["n_samples"] = 50 }).Result["rows"]![0]!;

        Assert.Equal("low", row["prediction"]!.GetValue<string>());
        Assert.Equal(row["probabilities"]!["low"]!.GetValue<double>(), row["output_value"]!.GetValue<double>(), 1e-6);
        var contributions = row["contributions"]!.AsObject().ToDictionary(c => c.Key, c => c.Value!.GetValue<double>());
        Assert.Equal(row["output_value"]!.GetValue<double>(), row["base_value"]!.GetValue<double>() + contributions.Values.Sum(), 1e-4);
        Assert.Equal("strong", contributions.MaxBy(c => c.Value).Key);
    }

    [Fact]
    public void CancellingStopsAnExplanation()
    {
        var trained = ExplainerTestData.Trained("RidgeRegressor", classification: false);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() =>
            Explainer.Explain(trained.Request(ExplainerCatalog.PermutationFeatureImportance), null, cancelled.Token));
    }

    [Fact]
    public void AnUndefinedMetricIsAnInputProblem()
    {
        var trained = ExplainerTestData.Trained("LogisticRegression", classification: true);

        var error = Assert.Throws<InvalidInputException>(() =>
            trained.Explain(ExplainerCatalog.PermutationFeatureImportance, new JsonObject { ["scoring"] = "roc_auc" }));

        Assert.Contains("roc_auc", error.Message, StringComparison.Ordinal);
    }

    internal static List<string> Strings(JsonNode? array) => [.. array!.AsArray().Select(v => v!.GetValue<string>())];

    internal static List<double> Numbers(JsonNode? array) => [.. array!.AsArray().Select(v => v!.GetValue<double>())];
}

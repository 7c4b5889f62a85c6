using System.Text.Json.Nodes;
using DashAI.ML.Components;
using DashAI.ML.Explainers;

namespace DashAI.ML.Tests.Explainers;

public class ExplainerParameterTests
{
    private static DashAI.ML.Data.DatasetSchema Schema => ExplainerTestData.Regression.Schema;

    [Fact]
    public void DefaultsAreFilledWithTheTasksMainMetric()
    {
        var classification = ExplainerCatalog.ValidateAndFillDefaults(ExplainerCatalog.PermutationFeatureImportance, "TabularClassificationTask", Schema, null);
        var regression = ExplainerCatalog.ValidateAndFillDefaults(ExplainerCatalog.PermutationFeatureImportance, "RegressionTask", Schema, []);

        Assert.Equal("""{"split":"test","scoring":"accuracy","n_repeats":5,"max_samples":10000,"seed":0}""", classification.ToJsonString());
        Assert.Equal("r2", regression["scoring"]!.GetValue<string>());
        var dependence = ExplainerCatalog.ValidateAndFillDefaults(ExplainerCatalog.PartialDependence, "RegressionTask", Schema, null);
        Assert.Equal("""{"features":null,"grid_resolution":20,"percentiles":[0.05,0.95],"split":"test","max_samples":1000,"seed":0}""", dependence.ToJsonString());
    }

    [Theory]
    [InlineData("PermutationFeatureImportance", """{"n_repeat":3}""", "Unknown parameter 'n_repeat' for explainer 'PermutationFeatureImportance'; did you mean 'n_repeats'?")]
    [InlineData("PermutationFeatureImportance", """{"split":"train"}""", "Parameter 'split' must be one of 'validation', 'test', got 'train'.")]
    [InlineData("PermutationFeatureImportance", """{"scoring":"rmse"}""", "Parameter 'scoring' must be one of 'accuracy'")]
    [InlineData("PermutationFeatureImportance", """{"n_repeats":0}""", "Parameter 'n_repeats' must be at least 1, got 0.")]
    [InlineData("PartialDependence", """{"features":["strong","stronk"]}""", "Unknown input column 'stronk' in parameter 'features'; did you mean 'strong'?")]
    [InlineData("PartialDependence", """{"features":["strong","strong"]}""", "Parameter 'features' must not repeat an item")]
    [InlineData("PartialDependence", """{"features":[]}""", "Parameter 'features' must hold at least 1 item(s), got 0.")]
    [InlineData("PartialDependence", """{"features":[3]}""", "Parameter 'features[0]' must be a string, got the number 3.")]
    [InlineData("PartialDependence", """{"percentiles":[0.9,0.1]}""", "Parameter 'percentiles' must hold a lower then a higher value")]
    [InlineData("PartialDependence", """{"percentiles":[0.1,1.5]}""", "Parameter 'percentiles[1]' must be at most 1, got 1.5.")]
    [InlineData("FeatureContributions", """{}""", "Parameter 'rows' is required for explainer 'FeatureContributions'.")]
    [InlineData("FeatureContributions", """{"rows":[{"strong":"high"}]}""", "Parameter 'rows[0].strong' must be a number or null")]
    [InlineData("FeatureContributions", """{"rows":[{"y":1}]}""", "Unknown input column 'y' in parameter 'rows[0]'")]
    [InlineData("FeatureContributions", """{"rows":[{"strong":[1]}]}""", "Parameter 'rows[0].strong' must be a string or a number or a boolean or null, got an array.")]
    [InlineData("NoSuchExplainer", """{}""", "Unknown explainer 'NoSuchExplainer'; known explainers: PermutationFeatureImportance, PartialDependence, FeatureContributions.")]
    public void InvalidParametersAreRefusedWithWhatIsWrong(string explainer, string parameters, string expected)
    {
        var error = Assert.Throws<InvalidInputException>(() =>
            ExplainerCatalog.ValidateAndFillDefaults(explainer, "TabularClassificationTask", Schema, JsonNode.Parse(parameters)!.AsObject()));

        Assert.Contains(error.Errors, e => e.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void AtMostAHundredRowsAreExplained()
    {
        var rows = new JsonArray([.. Enumerable.Range(0, 101).Select(i => (JsonNode)new JsonObject { ["strong"] = i })]);

        var error = Assert.Throws<InvalidInputException>(() =>
            ExplainerCatalog.ValidateAndFillDefaults(ExplainerCatalog.FeatureContributions, "RegressionTask", Schema, new JsonObject { ["rows"] = rows }));

        Assert.Equal("Parameter 'rows' must hold at most 100 item(s), got 101.", Assert.Single(error.Errors));
    }

    [Fact]
    public void TheRegistryListsTheExplainersWithTheSchemaOfATask()
    {
        var explainers = ComponentRegistry.List(["Explainer"]);
        var forRegression = ComponentRegistry.List(["Explainer"], "RegressionTask");

        Assert.Equal([ExplainerCatalog.PermutationFeatureImportance, ExplainerCatalog.PartialDependence, ExplainerCatalog.FeatureContributions], explainers.Select(e => e.Name));
        var generic = explainers[0].ParameterSchema["properties"]!["scoring"]!;
        Assert.Null(generic["default"]);
        var regression = forRegression[0].ParameterSchema["properties"]!["scoring"]!;
        Assert.Equal("r2", regression["default"]!.GetValue<string>());
        Assert.Equal(["rmse", "mae", "mse", "r2"], regression["enum"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.Contains("rows", forRegression[2].ParameterSchema["required"]!.AsArray().Select(v => v!.GetValue<string>()));
    }
}

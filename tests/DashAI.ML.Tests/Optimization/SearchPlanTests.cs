using System.Text.Json.Nodes;
using DashAI.ML.Components;
using DashAI.ML.Optimization;
using DashAI.ML.Parameters;

namespace DashAI.ML.Tests.Optimization;

public class SearchPlanTests
{
    private const string Tabular = "TabularClassificationTask";

    private static JsonObject Json(string json) => JsonNode.Parse(json)!.AsObject();

    private static IReadOnlyList<string> Errors(string model, string task, string parameters, string? optimizer)
    {
        var exception = Assert.Throws<InvalidInputException>(() =>
            SearchPlan.Validate(model, task, Json(parameters), optimizer is null ? null : Json(optimizer)));
        return exception.Errors;
    }

    [Fact]
    public void ATunedRunKeepsItsFixedValuesFillsDefaultsAndReadsTheSpace()
    {
        var plan = SearchPlan.Validate("LightGbmClassifier", Tabular, Json("""
            {"learning_rate": {"optimize": true, "lower_bound": 0.01, "upper_bound": 0.3},
             "number_of_iterations": {"optimize": true, "lower_bound": 50, "upper_bound": 500},
             "booster": {"optimize": true, "choices": ["gbdt", "goss"]},
             "number_of_leaves": 16}
            """), Json("""{"name": "TPE", "n_trials": 12}"""));

        Assert.Equal(16, plan.Fixed["number_of_leaves"]!.GetValue<long>());
        Assert.Equal(20, plan.Fixed["minimum_example_count_per_leaf"]!.GetValue<long>());
        Assert.Equal(new FloatDimension("learning_rate", 0.01, 0.3, Log: true), plan.Space[0]);
        Assert.Equal(new IntDimension("number_of_iterations", 50, 500), plan.Space[1]);
        Assert.Equal(["learning_rate", "number_of_iterations", "booster"], plan.Specs.Select(s => s.Key));
        Assert.Equal(new OptimizerSettings("TPE", 12, "accuracy", OptimizationDirection.Maximize, 0, 4), plan.Optimizer);

        var trial = plan.TrialParameters(Json("""{"learning_rate": 0.05, "number_of_iterations": 120, "booster": "goss"}"""));
        Assert.Equal(0.05, trial["learning_rate"]!.GetValue<double>());
        Assert.Equal("goss", trial["booster"]!.GetValue<string>());
        Assert.Equal(16, trial["number_of_leaves"]!.GetValue<long>());
        Assert.Equal(0.1, plan.Fixed["learning_rate"]!.GetValue<double>());
    }

    [Fact]
    public void TheSchemaSaysWhichParametersAreSearchedOnALogScale()
    {
        var plan = SearchPlan.Validate("LogisticRegression", Tabular, Json("""
            {"l2_regularization": {"optimize": true, "lower_bound": 0.001, "upper_bound": 100},
             "history_size": {"optimize": true, "lower_bound": 5, "upper_bound": 50}}
            """), Json("""{"name": "Random"}"""));

        Assert.Equal(new FloatDimension("l2_regularization", 0.001, 100, Log: true), plan.Space[0]);
        Assert.Equal(new IntDimension("history_size", 5, 50, Log: false), plan.Space[1]);
        var schema = ComponentRegistry.Find("LightGbmClassifier")!.ParameterSchema["properties"]!;
        Assert.True(schema["learning_rate"]![ParameterSchema.LogScaleKeyword]!.GetValue<bool>());
        Assert.Null(schema["number_of_leaves"]![ParameterSchema.LogScaleKeyword]);
    }

    [Fact]
    public void EveryProblemOfParametersAndOptimizerIsListedTogether()
    {
        var errors = Errors("LightGbmClassifier", Tabular, """
            {"learning_rate": {"optimize": true, "lower_bound": 0, "upper_bound": 2},
             "number_of_leaves": "many",
             "booster": {"optimize": true, "choices": ["gbdt", "xgboost"]},
             "depth": 3}
            """, """{"name": "Grid", "n_trials": 501, "metric": "r2", "parallelism": 0, "budget": 3}""");

        Assert.Contains(errors, e => e.Contains("lower_bound: Parameter 'learning_rate' must be greater than 0", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("upper_bound: Parameter 'learning_rate' must be at most 1", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("Parameter 'booster' must be one of", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("Parameter 'number_of_leaves' must be an integer", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("Unknown parameter 'depth'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("optimizer: Parameter 'name' must be one of 'TPE', 'Random'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("optimizer: Parameter 'n_trials' must be at most 500", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("optimizer: Parameter 'parallelism' must be at least 1", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("Unknown parameter 'budget' for optimizer", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("""{"name": "TPE", "metric": "r2"}""", "metric 'r2' is not a metric of TabularClassificationTask")]
    [InlineData("""{"name": "TPE", "metric": "auc"}""", "Parameter 'metric' must be one of")]
    [InlineData("""{"n_trials": 5}""", "'name' is required")]
    [InlineData("""{"name": "TPE", "n_trials": 0}""", "Parameter 'n_trials' must be at least 1")]
    [InlineData("""{"name": "TPE", "n_trials": 2.5}""", "Parameter 'n_trials' must be an integer")]
    [InlineData("""{"name": "TPE", "seed": -1}""", "Parameter 'seed' must be at least 0")]
    public void BadOptimizersAreRefusedWithTheReason(string optimizer, string expected)
    {
        var errors = Errors("LightGbmClassifier", Tabular, """{"learning_rate": {"optimize": true, "lower_bound": 0.01, "upper_bound": 0.3}}""", optimizer);

        Assert.Contains(errors, e => e.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void SpecsAndOptimizerComeTogether()
    {
        Assert.Contains(Errors("LightGbmClassifier", Tabular, """{"learning_rate": {"optimize": true, "lower_bound": 0.01, "upper_bound": 0.3}}""", null),
            e => e.Contains("the run needs an 'optimizer'", StringComparison.Ordinal));
        Assert.Contains(Errors("LightGbmClassifier", Tabular, """{"learning_rate": 0.2}""", """{"name": "TPE"}"""),
            e => e.Contains("no parameter is marked optimize", StringComparison.Ordinal));
    }

    [Fact]
    public void TheMetricDecidesTheDirectionAndRegressionDefaultsToR2()
    {
        const string Space = """{"learning_rate": {"optimize": true, "lower_bound": 0.01, "upper_bound": 0.3}}""";

        var logLoss = SearchPlan.Validate("LightGbmClassifier", Tabular, Json(Space), Json("""{"name": "TPE", "metric": "log_loss", "seed": 3, "parallelism": 2}"""));
        var regression = SearchPlan.Validate("LightGbmRegressor", "RegressionTask", Json(Space), Json("""{"name": "Random", "metric": null}"""));

        Assert.Equal(new OptimizerSettings("TPE", 30, "log_loss", OptimizationDirection.Minimize, 3, 2), logLoss.Optimizer);
        Assert.Equal(("r2", OptimizationDirection.Maximize), (regression.Optimizer.Metric, regression.Optimizer.Direction));
        Assert.Equal("""{"name":"Random","n_trials":30,"metric":"r2","seed":0,"parallelism":4}""", regression.Optimizer.ToJson().ToJsonString());
    }

    [Fact]
    public void TheRegistryListsTheOptimizersWithTheSchemaOfTheOptimizerObject()
    {
        var optimizers = ComponentRegistry.List(["Optimizer"]);

        Assert.Equal(["TPE", "Random"], optimizers.Select(o => o.Name));
        Assert.All(optimizers, o => Assert.Equal(ComponentType.Optimizer, o.Type));
        var properties = optimizers[0].ParameterSchema["properties"]!.AsObject();
        Assert.Equal(["name", "n_trials", "metric", "seed", "parallelism"], properties.Select(p => p.Key));
        Assert.Equal(4, properties["parallelism"]!["default"]!.GetValue<long>());
        Assert.Equal(500, properties["n_trials"]!["maximum"]!.GetValue<long>());
        Assert.Equal("Random", optimizers[1].ParameterSchema["properties"]!["name"]!["default"]!.GetValue<string>());
        Assert.DoesNotContain(ComponentRegistry.List(null, "TabularClassificationTask"), c => c.Type == ComponentType.Optimizer);
    }
}

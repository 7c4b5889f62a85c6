using System.Text.Json.Nodes;
using DashAI.ML.Components;
using DashAI.ML.Data;

namespace DashAI.ML.Tests;

public class ParameterValidationTests
{
    private const string Tabular = "TabularClassificationTask";

    [Fact]
    public void MissingParametersAreFilledWithDefaults()
    {
        var filled = ComponentRegistry.ValidateAndFillDefaults("LightGbmClassifier", Tabular, new JsonObject { ["number_of_leaves"] = 15 });

        Assert.Equal(15, filled["number_of_leaves"]!.GetValue<long>());
        Assert.Equal(100, filled["number_of_iterations"]!.GetValue<long>());
        Assert.Equal(0.1, filled["learning_rate"]!.GetValue<double>());
        Assert.Equal("gbdt", filled["booster"]!.GetValue<string>());
        Assert.Equal(ComponentRegistry.Find("LightGbmClassifier")!.ParameterSchema["properties"]!.AsObject().Count, filled.Count);
    }

    [Theory]
    [InlineData("SdcaMaximumEntropy", "l2_regularization", 0.01, 1e-4)]
    [InlineData("LogisticRegression", "l2_regularization", 3.0, 1.0)]
    [InlineData("LinearSvm", "lambda", 0.01, 0.003)]
    [InlineData("FastTreeClassifier", "minimum_example_count_per_leaf", 20, 5)]
    public void TextClassificationHasItsOwnDefaults(string model, string parameter, double tabular, double text)
    {
        var onTabular = ComponentRegistry.ValidateAndFillDefaults(model, Tabular, null);
        var onText = ComponentRegistry.ValidateAndFillDefaults(model, "TextClassificationTask", null);
        var givenOnText = ComponentRegistry.ValidateAndFillDefaults(model, "TextClassificationTask", new JsonObject { [parameter] = 7 });

        Assert.Equal(JsonValue.Create(tabular).ToJsonString(), onTabular[parameter]!.ToJsonString());
        Assert.Equal(JsonValue.Create(text).ToJsonString(), onText[parameter]!.ToJsonString());
        Assert.Equal("7", givenOnText[parameter]!.ToJsonString());
        var description = ComponentRegistry.Find(model)!.ParameterSchema["properties"]![parameter]!["description"]!.GetValue<string>();
        Assert.Contains($"Default for TextClassificationTask: {JsonValue.Create(text).ToJsonString()}.", description, StringComparison.Ordinal);
    }

    [Fact]
    public void NullParametersMeanAllDefaults()
    {
        var filled = ComponentRegistry.ValidateAndFillDefaults("SdcaRegressor", "RegressionTask", null);

        Assert.True(filled.ContainsKey("l2_regularization"));
        Assert.Null(filled["l2_regularization"]);
        Assert.Equal(0.01, filled["convergence_tolerance"]!.GetValue<double>());
    }

    [Fact]
    public void AWholeNumberWrittenAsDecimalIsAnInteger()
    {
        var filled = ComponentRegistry.ValidateAndFillDefaults("LinearSvm", Tabular, JsonNode.Parse("""{"number_of_iterations": 3.0}""")!.AsObject());

        Assert.Equal(3, filled["number_of_iterations"]!.GetValue<long>());
    }

    [Fact]
    public void NullableParameterAcceptsNull()
    {
        var filled = ComponentRegistry.ValidateAndFillDefaults("SdcaMaximumEntropy", Tabular, JsonNode.Parse("""{"l2_regularization": null, "l1_regularization": 0.5}""")!.AsObject());

        Assert.Null(filled["l2_regularization"]);
        Assert.Equal(0.5, filled["l1_regularization"]!.GetValue<double>());
    }

    [Fact]
    public void UnknownModelIsRejected()
    {
        var error = Assert.Throws<InvalidInputException>(() => ComponentRegistry.ValidateAndFillDefaults("NoSuchModel", Tabular, null));

        Assert.Contains("Unknown model 'NoSuchModel'", error.Errors.Single(), StringComparison.Ordinal);
        Assert.Contains("LightGbmClassifier", error.Errors.Single(), StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownTaskIsRejected()
    {
        var error = Assert.Throws<InvalidInputException>(() => ComponentRegistry.ValidateAndFillDefaults("LinearSvm", "ClusteringTask", null));

        Assert.Contains("Unknown task 'ClusteringTask'", error.Errors.Single(), StringComparison.Ordinal);
    }

    [Fact]
    public void ModelThatDoesNotFitTheTaskIsRejected()
    {
        var error = Assert.Throws<InvalidInputException>(() => ComponentRegistry.ValidateAndFillDefaults("SdcaRegressor", Tabular, null));

        Assert.Contains("does not fit task 'TabularClassificationTask'", error.Errors.Single(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"no_such_parameter": 1}""", "Unknown parameter 'no_such_parameter'")]
    [InlineData("""{"number_of_iterations": "100"}""", "'number_of_iterations' must be an integer, got the string \"100\"")]
    [InlineData("""{"number_of_iterations": 2.5}""", "'number_of_iterations' must be an integer, got the number 2.5")]
    [InlineData("""{"number_of_iterations": null}""", "'number_of_iterations' must be an integer, got null")]
    [InlineData("""{"learning_rate": true}""", "'learning_rate' must be a number, got the boolean true")]
    [InlineData("""{"number_of_iterations": 0}""", "'number_of_iterations' must be at least 1, got 0")]
    [InlineData("""{"number_of_leaves": 1000000}""", "'number_of_leaves' must be at most 131072, got 1000000")]
    [InlineData("""{"learning_rate": 0}""", "'learning_rate' must be greater than 0, got 0")]
    [InlineData("""{"booster": "xgboost"}""", "'booster' must be one of 'gbdt', 'dart', 'goss', got 'xgboost'")]
    [InlineData("""{"booster": 1}""", "'booster' must be a string, got the number 1")]
    public void EachKindOfBadParameterIsReported(string parameters, string expected)
    {
        var error = Assert.Throws<InvalidInputException>(() =>
            ComponentRegistry.ValidateAndFillDefaults("LightGbmClassifier", Tabular, JsonNode.Parse(parameters)!.AsObject()));

        Assert.Contains(expected, error.Errors.Single(), StringComparison.Ordinal);
    }

    [Fact]
    public void EveryProblemIsListedInOneException()
    {
        var parameters = JsonNode.Parse("""{"lambda": -1, "number_of_iterations": "ten", "perform_projection": 1, "colour": "red"}""")!.AsObject();

        var error = Assert.Throws<InvalidInputException>(() => ComponentRegistry.ValidateAndFillDefaults("LinearSvm", "RegressionTask", parameters));

        Assert.Equal(5, error.Errors.Count);
        Assert.Contains(error.Errors, e => e.Contains("does not fit task", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.Contains("'colour'", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.Contains("'lambda'", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.Contains("'number_of_iterations'", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.Contains("'perform_projection' must be a boolean", StringComparison.Ordinal));
    }

    [Fact]
    public void ExperimentWithUnknownTaskIsRejected()
    {
        var error = Assert.Throws<InvalidInputException>(() => ComponentRegistry.ValidateExperiment("NoSuchTask", Schema(("x", ColumnType.Float, 10), ("y", ColumnType.Categorical, 2))));

        Assert.Contains("Unknown task 'NoSuchTask'", error.Errors.Single(), StringComparison.Ordinal);
    }

    [Fact]
    public void ClassificationNeedsTwoClasses()
    {
        var schema = Schema(("x", ColumnType.Float, 10), ("y", ColumnType.Categorical, 1));

        var error = Assert.Throws<InvalidInputException>(() => ComponentRegistry.ValidateExperiment(Tabular, schema));

        Assert.Contains("at least 2 classes", error.Errors.Single(), StringComparison.Ordinal);
    }

    [Fact]
    public void ClassificationRejectsAContinuousOutput()
    {
        var schema = Schema(("x", ColumnType.Float, 10), ("y", ColumnType.Float, 90));

        var error = Assert.Throws<InvalidInputException>(() => ComponentRegistry.ValidateExperiment(Tabular, schema));

        Assert.Contains("RegressionTask", error.Errors.Single(), StringComparison.Ordinal);
    }

    [Fact]
    public void RegressionNeedsANumericOutput()
    {
        var schema = Schema(("x", ColumnType.Float, 10), ("y", ColumnType.Categorical, 3));

        var error = Assert.Throws<InvalidInputException>(() => ComponentRegistry.ValidateExperiment("RegressionTask", schema));

        Assert.Contains("numeric output column", error.Errors.Single(), StringComparison.Ordinal);
    }

    [Fact]
    public void TextClassificationNeedsATextInput()
    {
        var schema = Schema(("x", ColumnType.Float, 10), ("c", ColumnType.Categorical, 4), ("y", ColumnType.Categorical, 3));

        var error = Assert.Throws<InvalidInputException>(() => ComponentRegistry.ValidateExperiment("TextClassificationTask", schema));

        Assert.Contains("at least one text input column", error.Errors.Single(), StringComparison.Ordinal);
    }

    [Fact]
    public void DatasetsThatFitTheirTaskAreAccepted()
    {
        ComponentRegistry.ValidateExperiment(Tabular, Schema(("x", ColumnType.Float, 10), ("y", ColumnType.Integer, 2)));
        ComponentRegistry.ValidateExperiment("RegressionTask", Schema(("x", ColumnType.Categorical, 10), ("y", ColumnType.Integer, 50)));
        ComponentRegistry.ValidateExperiment("TextClassificationTask", Schema(("t", ColumnType.Text, 10), ("y", ColumnType.Boolean, 2)));
    }

    [Fact]
    public void MissingColumnsAndBadRolesAreAllReported()
    {
        var schema = new DatasetSchema(
            [new ColumnInfo("x", ColumnType.Float, 0, 5), new ColumnInfo("y", ColumnType.Categorical, 0, 2)],
            ["x", "ghost"],
            ["y", "x"]);

        var error = Assert.Throws<InvalidInputException>(() => ComponentRegistry.ValidateExperiment(Tabular, schema));

        Assert.Equal(3, error.Errors.Count);
    }

    // The last column is the output.
    private static DatasetSchema Schema(params (string Name, ColumnType Type, long Distinct)[] columns) =>
        new(
            [.. columns.Select(c => new ColumnInfo(c.Name, c.Type, 0, c.Distinct))],
            [.. columns[..^1].Select(c => c.Name)],
            [columns[^1].Name]);
}

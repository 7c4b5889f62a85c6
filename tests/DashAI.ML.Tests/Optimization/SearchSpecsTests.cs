using System.Text.Json.Nodes;
using DashAI.ML.Optimization;
using DashAI.ML.Parameters;

namespace DashAI.ML.Tests.Optimization;

public class SearchSpecsTests
{
    private static readonly JsonObject Schema = Build();

    private static JsonObject Build()
    {
        var schema = ParameterSchema.Object(
            ParameterSchema.Number("learning_rate", 0.1, 0, 1, "step size", exclusiveMinimum: true),
            ParameterSchema.Integer("number_of_leaves", 31, 2, 1024, "leaves"),
            ParameterSchema.Number("l2", 0, 0, 100, "penalty"),
            ParameterSchema.Boolean("shuffle", true, "shuffle"),
            ParameterSchema.Enum("booster", "gbdt", ["gbdt", "dart", "goss"], "booster"));
        schema["properties"]!["learning_rate"]![SearchSpecs.LogScaleKeyword] = true;
        return schema;
    }

    private static (JsonObject Plain, IReadOnlyList<SearchDimension> Space, IReadOnlyList<string> Errors) Extract(string json) =>
        SearchSpecs.Extract(Schema, JsonNode.Parse(json)!.AsObject(), "M");

    [Fact]
    public void RangesAndChoicesBecomeDimensionsAndPlainValuesStay()
    {
        var (plain, space, errors) = Extract("""
            {"learning_rate": {"optimize": true, "lower_bound": 0.01, "upper_bound": 0.3},
             "number_of_leaves": {"optimize": true, "lower_bound": 8, "upper_bound": 128},
             "booster": {"optimize": true, "choices": ["gbdt", "goss"]},
             "shuffle": false}
            """);

        Assert.Empty(errors);
        Assert.Equal("""{"shuffle":false}""", plain.ToJsonString());
        Assert.Equal(new FloatDimension("learning_rate", 0.01, 0.3, Log: true), space[0]);
        Assert.Equal(new IntDimension("number_of_leaves", 8, 128, Log: false), space[1]);
        var booster = Assert.IsType<CategoricalDimension>(space[2]);
        Assert.Equal(["gbdt", "goss"], booster.Choices.Select(c => c!.GetValue<string>()));
    }

    [Theory]
    [InlineData("""{"learning_rate": {"optimize": true, "lower_bound": 0, "upper_bound": 0.3}}""", "lower_bound: Parameter 'learning_rate' must be greater than 0")]
    [InlineData("""{"l2": {"optimize": true, "lower_bound": 1, "upper_bound": 500}}""", "upper_bound: Parameter 'l2' must be at most 100")]
    [InlineData("""{"l2": {"optimize": true, "lower_bound": 5, "upper_bound": 1}}""", "lower_bound (5) must be below upper_bound (1)")]
    [InlineData("""{"number_of_leaves": {"optimize": true, "lower_bound": 8.5, "upper_bound": 64}}""", "lower_bound: Parameter 'number_of_leaves' must be an integer")]
    [InlineData("""{"l2": {"optimize": true, "lower_bound": 1}}""", "'upper_bound' is required with a range")]
    [InlineData("""{"booster": {"optimize": true, "choices": ["gbdt", "xgb"]}}""", "Parameter 'booster' must be one of")]
    [InlineData("""{"booster": {"optimize": true, "choices": []}}""", "'choices' must be a non-empty array")]
    [InlineData("""{"booster": {"optimize": true, "choices": ["dart", "dart"]}}""", "is given more than once")]
    [InlineData("""{"booster": {"optimize": true, "lower_bound": 1, "upper_bound": 2}}""", "is not a number: search it with 'choices'")]
    [InlineData("""{"l2": {"optimize": true, "lower_bound": 1, "upper_bound": 2, "choices": [1]}}""", "either lower_bound and upper_bound, or choices")]
    [InlineData("""{"l2": {"optimize": false, "lower_bound": 1, "upper_bound": 2}}""", "'optimize' must be true")]
    [InlineData("""{"l2": {"optimize": true, "lower": 1, "upper_bound": 2}}""", "unknown search field 'lower'")]
    [InlineData("""{"depth": {"optimize": true, "lower_bound": 1, "upper_bound": 2}}""", "Unknown parameter 'depth'")]
    public void BadSpecsAreRefusedWithTheReason(string json, string expected)
    {
        var (_, space, errors) = Extract(json);

        Assert.Contains(errors, e => e.Contains(expected, StringComparison.Ordinal));
        Assert.Empty(space);
    }

    [Fact]
    public void ChoicesOfANumberAreCheckedAgainstItsRangeAndBooleansCanBeChoices()
    {
        var (_, space, errors) = Extract("""{"l2": {"optimize": true, "choices": [0, 1, 1000]}, "shuffle": {"optimize": true, "choices": [true, false]}}""");

        Assert.Contains(errors, e => e.Contains("must be at most 100", StringComparison.Ordinal));
        var ok = Extract("""{"shuffle": {"optimize": true, "choices": [true, false]}}""");
        Assert.Empty(ok.Errors);
        Assert.Single(ok.Space);
        Assert.Single(space);
    }
}

using DashAI.ML;
using DashAI.ML.Data;

namespace DashAI.ML.Tests;

public sealed class StrictJsonTests
{
    [Theory]
    [InlineData("""{"a": 1, "b": 2}""", null)]
    [InlineData("""{"a": 1, "a": 2}""", "a")]
    [InlineData("""{"a": {"x": 1, "y": {"z": 1, "z": 2}}}""", "a.y.z")]
    [InlineData("""{"a": [{"x": 1}, {"x": 2, "x": 3}]}""", "a.x")]
    [InlineData("""{"a": [{"x": 1}, {"x": 2}], "b": {"x": 1}}""", null)]
    [InlineData("""{"n\u0061me": 1, "name": 2}""", "name")]
    [InlineData("""[1, {"k": 1}, {"k": 2}]""", null)]
    public void FindsTheFirstKeyGivenTwiceInOneObject(string json, string? expected)
    {
        Assert.Equal(expected, StrictJson.FindDuplicateKey(json));
    }

    [Theory]
    [InlineData("paramters", "parameters")]
    [InlineData("output_columns", "outputs_columns")]
    [InlineData("datasetId", "dataset_id")]
    [InlineData("DATASET_ID", "dataset_id")]
    [InlineData("nmae", "name")]
    [InlineData("colour", null)]
    [InlineData("x", null)]
    public void SuggestsTheKnownNameATypoWasProbablyMeantToBe(string typo, string? expected)
    {
        string[] known = ["parameters", "outputs_columns", "dataset_id", "name", "task_name"];

        Assert.Equal(expected, StrictJson.DidYouMean(typo, known));
    }

    [Fact]
    public void UnknownKeysAreNamedWithTheirPrefixAndKnownKeysPass()
    {
        var errors = StrictJson.UnknownKeys(["train_size", "tset_size", "colour"], ["train_size", "test_size"], "params", "splits.");

        Assert.Equal(2, errors.Count);
        Assert.Equal("Unknown field 'splits.tset_size' in params; did you mean 'splits.test_size'?", errors[0]);
        Assert.Equal("Unknown field 'splits.colour' in params; known fields: splits.train_size, splits.test_size.", errors[1]);
    }

    [Fact]
    public void IngestParamsRefuseUnknownAndDuplicateFields()
    {
        var typo = Assert.Throws<InvalidInputException>(() => IngestRequest.Parse(
            """{"task_name": "TabularClassificationTask", "dataloader": "CSVDataLoader", "dataset_name": "d", "output_columns": ["y"]}"""));
        var duplicate = Assert.Throws<InvalidInputException>(() => IngestRequest.Parse(
            """{"task_name": "TabularClassificationTask", "dataloader": "CSVDataLoader", "dataset_name": "d", "dataset_name": "e"}"""));

        Assert.Contains("Unknown field 'output_columns' in params; did you mean 'outputs_columns'?", typo.Errors);
        Assert.Contains("'dataset_name' more than once", duplicate.Message);
    }
}

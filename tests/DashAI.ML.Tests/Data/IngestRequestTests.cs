using DashAI.ML.Data;

namespace DashAI.ML.Tests.Data;

public class IngestRequestTests
{
    [Fact]
    public void TheThesisExampleParses()
    {
        var request = IngestRequest.Parse("""
            {"task_name": "TabularClassificationTask", "dataloader": "CSVDataLoader", "dataset_name": "iris",
             "outputs_columns": [], "splits_in_folders": false,
             "splits": {"train_size": 0.8, "test_size": 0.1, "val_size": 0.1, "seed": 42, "shuffle": true, "stratify": false},
             "dataloader_params": {"separator": ","}}
            """);

        Assert.Equal("TabularClassificationTask", request.TaskName);
        Assert.Equal("iris", request.DatasetName);
        Assert.Empty(request.OutputColumns);
        Assert.Equal(new SplitOptions(0.8, 0.1, 0.1, 42, true, false), request.Splits);
        Assert.Equal(',', request.LoaderOptions.Separator);
    }

    [Fact]
    public void CsvParametersAndOutputColumnsAreRead()
    {
        var request = IngestRequest.Parse("""
            {"task_name": "T", "dataloader": "CSVDataLoader", "dataset_name": " sales ", "outputs_columns": ["y"],
             "dataloader_params": {"separator": ";", "header": false, "encoding": "cp1252", "decimal": ","}}
            """);

        Assert.Equal("sales", request.DatasetName);
        Assert.Equal(["y"], request.OutputColumns);
        Assert.Equal(new DataLoaderOptions(';', false, "cp1252", ','), request.LoaderOptions);
        Assert.Equal(SplitOptions.Default, request.Splits);
    }

    [Fact]
    public void EveryProblemIsNamedAtOnce()
    {
        var error = Assert.Throws<InvalidInputException>(() => IngestRequest.Parse("""
            {"dataloader": "ExcelDataLoader", "dataset_name": "",
             "splits": {"train_size": 1.5, "test_size": 0.1, "val_size": 0.1},
             "dataloader_params": {"seperator": ";"}}
            """));

        Assert.Contains("task_name is required.", error.Errors);
        Assert.Contains(error.Errors, e => e.Contains("dataloader 'ExcelDataLoader' is not supported", StringComparison.Ordinal));
        Assert.Contains("dataset_name must not be empty.", error.Errors);
        Assert.Contains(error.Errors, e => e.Contains("splits.train_size must be between 0 and 1", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.Contains("Unknown field 'dataloader_params.seperator'", StringComparison.Ordinal)
            && e.Contains("did you mean 'dataloader_params.separator'?", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("""{"train_size": 0.7, "test_size": 0.1, "val_size": 0.1}""", "must be 1")]
    [InlineData("""{"train_size": 0.8, "test_size": -0.1, "val_size": 0.3}""", "splits.test_size must be between 0 and 1")]
    [InlineData("""{"train_size": "0.8"}""", "splits.train_size must be a number")]
    [InlineData("""{"seed": 1.5}""", "splits.seed must be a whole number")]
    [InlineData("""{"shuffle": "yes"}""", "splits.shuffle must be true or false")]
    public void BadSplitSettingsAreRejected(string splits, string expected)
    {
        var error = Assert.Throws<InvalidInputException>(() => IngestRequest.Parse(
            $$"""{"task_name": "T", "dataloader": "CSVDataLoader", "dataset_name": "d", "splits": {{splits}}}"""));

        Assert.Contains(error.Errors, e => e.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void ProportionsWithinTheToleranceOfOneAreAccepted()
    {
        var request = IngestRequest.Parse(
            """{"task_name": "T", "dataloader": "CSVDataLoader", "dataset_name": "d", "splits": {"train_size": 0.7, "test_size": 0.2, "val_size": 0.1000001}}""");

        Assert.Equal(0.1000001, request.Splits.ValSize);
    }

    [Theory]
    [InlineData("""{"separator": ",,"}""", "must be a single character")]
    [InlineData("""{"separator": "\""}""", "cannot be used")]
    [InlineData("""{"decimal": ","}""", "cannot be used")]
    [InlineData("""{"encoding": "utf-16"}""", "encoding 'utf-16' is not supported")]
    [InlineData("""{"header": "yes"}""", "header must be true or false")]
    public void BadCsvParametersAreRejected(string parameters, string expected)
    {
        var error = Assert.Throws<InvalidInputException>(() => IngestRequest.Parse(
            $$"""{"task_name": "T", "dataloader": "CSVDataLoader", "dataset_name": "d", "dataloader_params": {{parameters}}}"""));

        Assert.Contains(error.Errors, e => e.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void TheJsonLoaderTakesADataKey()
    {
        var request = IngestRequest.Parse(
            """{"task_name": "T", "dataloader": "JSONDataLoader", "dataset_name": "d", "dataloader_params": {"data_key": "rows"}}""");

        Assert.Equal("rows", request.LoaderOptions.DataKey);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1, 2]")]
    public void ParamsThatAreNotAJsonObjectAreRejected(string json)
    {
        Assert.Throws<InvalidInputException>(() => IngestRequest.Parse(json));
    }

    [Fact]
    public void SplitsInFoldersIsRefusedRatherThanIgnored()
    {
        var error = Assert.Throws<InvalidInputException>(() => IngestRequest.Parse(
            """{"task_name": "T", "dataloader": "CSVDataLoader", "dataset_name": "d", "splits_in_folders": true}"""));

        Assert.Contains(error.Errors, e => e.Contains("splits_in_folders", StringComparison.Ordinal));
    }

    [Fact]
    public void EveryDataLoaderPublishesADraft202012SchemaOfItsParameters()
    {
        foreach (var loader in DataLoaderCatalog.All)
        {
            Assert.Equal("https://json-schema.org/draft/2020-12/schema", (string?)loader.ParameterSchema["$schema"]);
            Assert.NotNull(loader.ParameterSchema["properties"]);
        }

        var csv = DataLoaderCatalog.All.Single(l => l.Name == DataLoaderCatalog.Csv).ParameterSchema["properties"]!.AsObject();
        Assert.Equal(["separator", "header", "encoding", "decimal"], csv.Select(p => p.Key));
    }
}

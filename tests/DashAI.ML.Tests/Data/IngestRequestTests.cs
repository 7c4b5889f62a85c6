using System.Text.Json;
using System.Text.Json.Nodes;
using DashAI.ML.Components;
using DashAI.ML.Data;
using Json.Schema;

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

    [Theory]
    [InlineData("""{"task_name": 5}""", "task_name must be a string (got the number 5).")]
    [InlineData("""{"outputs_columns": ["y", 3]}""", "outputs_columns[1] must be a string (got the number 3).")]
    [InlineData("""{"outputs_columns": ["y", ""]}""", "outputs_columns[1] must not be empty.")]
    [InlineData("""{"outputs_columns": ["y", "x", "y"]}""", "outputs_columns names 'y' twice.")]
    [InlineData("""{"outputs_columns": "y"}""", "outputs_columns must be a list of strings (got the string 'y').")]
    [InlineData("""{"splits": {"train_size": "0.8"}}""", "splits.train_size must be a number between 0 and 1 (got the string '0.8').")]
    [InlineData("""{"splits": {"train_size": 1.5}}""", "splits.train_size must be between 0 and 1 (got 1.5).")]
    [InlineData("""{"splits": {"seed": 1e12}}""", "splits.seed must be a whole number that fits in 32 bits (got 1e12).")]
    [InlineData("""{"splits": []}""", "splits must be an object (got a list).")]
    [InlineData("""{"dataloader_params": {"separator": "a"}}""", "dataloader_params.separator 'a' cannot be used (not a quote, line break, letter, digit or the decimal point).")]
    [InlineData("""{"dataloader_params": {"separator": ",,"}}""", "dataloader_params.separator must be a single character (got ',,').")]
    [InlineData("""{"dataloader_params": {"decimal": ";"}}""", "dataloader_params.decimal ';' is not supported; use '.' or ','.")]
    [InlineData("""{"dataloader_params": {"header": 1}}""", "dataloader_params.header must be true or false (got the number 1).")]
    [InlineData("""{"dataloader_params": {"encoding": "utf-16"}}""", "dataloader_params.encoding 'utf-16' is not supported; use one of 'utf-8', 'latin1', 'cp1252'.")]
    [InlineData("""{"dataloader_params": 3}""", "dataloader_params must be an object (got the number 3).")]
    [InlineData("""{"splits_in_folders": true}""", "splits_in_folders: true is not supported; upload a single file and let the service split it.")]
    public void EachMessageNamesTheFieldWhatItExpectsAndWhatItGot(string fields, string expected)
    {
        var parameters = JsonNode.Parse("""{"task_name": "T", "dataloader": "CSVDataLoader", "dataset_name": "d"}""")!.AsObject();
        foreach (var (key, value) in JsonNode.Parse(fields)!.AsObject())
        {
            parameters[key] = value?.DeepClone();
        }

        var error = Assert.Throws<InvalidInputException>(() => IngestRequest.Parse(parameters.ToJsonString()));

        Assert.Equal([expected], error.Errors);
    }

    [Fact]
    public void TheJsonLoaderRefusesCsvParametersAndAnEmptyDataKey()
    {
        var error = Assert.Throws<InvalidInputException>(() => IngestRequest.Parse(
            """{"task_name": "T", "dataloader": "JSONDataLoader", "dataset_name": "d", "dataloader_params": {"data_key": "", "separator": ";"}}"""));

        Assert.Contains("dataloader_params.data_key must not be empty (omit it when the file is a list of records).", error.Errors);
        Assert.Contains("Unknown field 'dataloader_params.separator' in the parameters of JSONDataLoader; known fields: dataloader_params.data_key.", error.Errors);
    }

    [Fact]
    public void NullFieldsTakeTheirDefaultsAndEncodingAliasesTheirCanonicalName()
    {
        var request = IngestRequest.Parse(
            """{"task_name": "T", "dataloader": "CSVDataLoader", "dataset_name": "d", "outputs_columns": null, "splits": null, "dataloader_params": {"separator": null, "encoding": " Windows-1252"}}""");

        Assert.Equal(SplitOptions.Default, request.Splits);
        Assert.Empty(request.OutputColumns);
        Assert.Equal(DataLoaderOptions.Default with { Encoding = TextEncodings.Cp1252 }, request.LoaderOptions);
    }

    [Fact]
    public void ANullRequiredFieldIsReportedAsMissing()
    {
        var error = Assert.Throws<InvalidInputException>(() => IngestRequest.Parse("""{"task_name": null, "dataloader": "CSVDataLoader", "dataset_name": "d"}"""));

        Assert.Equal(["task_name is required."], error.Errors);
    }

    [Fact]
    public void TheParamsSchemaIsValidDraft202012AndUsesEachDataLoadersSchemaFromTheRegistry()
    {
        var schema = IngestRequest.ParamsSchema();

        Assert.True(MetaSchemas.Draft202012.Evaluate(JsonSerializer.SerializeToElement(schema)).IsValid);
        foreach (var loader in ComponentRegistry.List(["DataLoader"]))
        {
            var rule = schema["allOf"]!.AsArray().Single(r => (string?)r!["if"]?["properties"]?["dataloader"]?["const"] == loader.Name);
            var used = rule!["then"]!["properties"]!["dataloader_params"]!.DeepClone().AsObject();
            var served = loader.ParameterSchema.DeepClone().AsObject();
            used.Remove("title");
            served.Remove("title");
            served.Remove("$schema");
            Assert.True(JsonNode.DeepEquals(served, used), $"params validates {loader.Name}'s parameters with another schema than the registry serves.");
        }
    }

    [Fact]
    public void TheSchemaAcceptsWhatParseAcceptsAndRefusesWhatItRefuses()
    {
        var schema = JsonSchema.FromText(IngestRequest.ParamsSchema().ToJsonString());
        const string good = """{"task_name": "T", "dataloader": "CSVDataLoader", "dataset_name": "d", "dataloader_params": {"separator": ";", "decimal": ","}}""";
        const string bad = """{"task_name": "T", "dataloader": "JSONDataLoader", "dataset_name": "d", "dataloader_params": {"separator": ";"}}""";

        Assert.True(schema.Evaluate(JsonDocument.Parse(good).RootElement).IsValid);
        Assert.Equal(';', IngestRequest.Parse(good).LoaderOptions.Separator);
        Assert.False(schema.Evaluate(JsonDocument.Parse(bad).RootElement).IsValid);
        Assert.Throws<InvalidInputException>(() => IngestRequest.Parse(bad));
    }

    [Fact]
    public void AConstructedRequestIsValidatedByTheSameSchema()
    {
        var request = new IngestRequest
        {
            TaskName = "T",
            DataLoader = DataLoaderCatalog.Csv,
            DatasetName = "d",
            LoaderOptions = DataLoaderOptions.Default with { Encoding = "utf-16", Separator = 'x' },
        };

        Assert.Equal(
            ["dataloader_params.separator 'x' cannot be used (not a quote, line break, letter, digit or the decimal point).",
             "dataloader_params.encoding 'utf-16' is not supported; use one of 'utf-8', 'latin1', 'cp1252'."],
            request.Validate());
    }
}

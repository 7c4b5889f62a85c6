using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using DashAI.Functions.Components;
using DashAI.Functions.Datasets;
using DashAI.Functions.Experiments;
using DashAI.Functions.Hosting;
using DashAI.Functions.Http;
using DashAI.Functions.Runs;
using DashAI.ML.Components;
using DashAI.ML.Data;

namespace DashAI.Functions.Tests.Http;

/// <summary>The source-generated JSON writes exactly what the reflection-based JSON it replaced wrote.</summary>
public sealed class ApiJsonTests
{
    private static readonly DateTime Time = new(2026, 12, 5, 10, 30, 15, 123, DateTimeKind.Utc);

    [Fact]
    public void TheDatasetsStoredJsonKeepsItsFormat()
    {
        var schema = new DatasetSchema(
            [new ColumnInfo("sepal length", ColumnType.Float, 0, 35), new ColumnInfo("species", ColumnType.Categorical, 2, 3)],
            ["sepal length"],
            ["species"]);

        Assert.Equal("""[{"name":"sepal length","type":"float","missing_count":0,"distinct_count":35},{"name":"species","type":"categorical","missing_count":2,"distinct_count":3}]""", DatasetSchemaJson.Columns(schema));
        Assert.Equal("""["species"]""", DatasetSchemaJson.Names(schema.OutputColumns));
        Assert.Equal("""{"train_size":0.8,"val_size":0.1,"test_size":0.1,"seed":42,"shuffle":true,"stratify":false}""", DatasetSchemaJson.Splits(SplitOptions.Default));
        Assert.Equal("""{"train":8,"validation":1,"test":1}""", DatasetSchemaJson.RowsPerSplit(new Dictionary<string, long> { ["train"] = 8, ["validation"] = 1, ["test"] = 1 }));
    }

    [Fact]
    public void RunMetricsKeepTheirFormatOrderAndNullsForUndefinedValues()
    {
        var metrics = new Dictionary<string, double?> { ["r2"] = null, ["mae"] = 22.463957, ["rmse"] = 1e-7 };

        var written = RunMetrics.Write(metrics);

        // What the JsonObject it replaced wrote, key order included.
        Assert.Equal(new JsonObject { ["r2"] = null, ["mae"] = 22.463957, ["rmse"] = 1e-7 }.ToJsonString(), written);
        Assert.Equal(metrics, RunMetrics.Read(written));
        Assert.Equal(["r2", "mae", "rmse"], RunMetrics.Read(written)!.Keys);
        Assert.Null(RunMetrics.Read(null));
        Assert.Null(RunMetrics.Read(""));
    }

    [Fact]
    public void TheStoredSchemaReadsBackAsItWasWritten()
    {
        var schema = new DatasetSchema([new ColumnInfo("x", ColumnType.Integer, 1, 9), new ColumnInfo("t", ColumnType.Text, 0, 100)], ["x"], ["t"]);
        var entity = new DatasetEntity
        {
            Columns = DatasetSchemaJson.Columns(schema),
            InputColumns = DatasetSchemaJson.Names(schema.InputColumns),
            OutputColumns = DatasetSchemaJson.Names(schema.OutputColumns),
        };

        var read = DatasetSchemaJson.FromEntity(entity)!;

        Assert.Equal(schema.Columns, read.Columns);
        Assert.Equal(schema.InputColumns, read.InputColumns);
        Assert.Equal(schema.OutputColumns, read.OutputColumns);
    }

    public static TheoryData<object> Responses() =>
    [
        new RunDto(1, 2, Time, Time, "LogisticRegression", new JsonObject { ["l2"] = 1.5 }, new Dictionary<string, double?> { ["accuracy"] = 0.9, ["f1"] = null }, null, null, null,
            "r", null, null, 3, Time, null, null, "training", null, null, 7, 42, "ab",
            new JsonObject { ["name"] = "TPE" }, null, 3, 30, 0.97, null),
        new DatasetDto(1, "d", "T", Time, Time, "datasets/1", "CSVDataLoader", "d.csv", 10, null, 5, new Dictionary<string, long> { ["train"] = 4 },
            [new DatasetColumn("a", "float", 0, 2)], ["a"], null, DatasetSplits.From(SplitOptions.Default)),
        new ExperimentDto(3, 1, "e", "T", Time, Time),
        ComponentDto.From(ComponentRegistry.Find("LogisticRegression")!),
        new DashAI.Functions.Jobs.JobDto(4, 0, 2, null, "running", Time, Time, Time, null, 1, null, false, Time),
    ];

    [Theory]
    [MemberData(nameof(Responses))]
    public void ResponsesAreWrittenByGeneratedCodeExactlyAsByReflection(object dto)
    {
        var generated = new JsonSerializerOptions();
        DashAIServiceCollectionExtensions.ConfigureJson(generated);
        var reflection = new JsonSerializerOptions { TypeInfoResolver = new DefaultJsonTypeInfoResolver() };
        DashAIServiceCollectionExtensions.ConfigureJson(reflection);
        reflection.TypeInfoResolverChain.Remove(ApiJsonContext.Default);

        Assert.Same(ApiJsonContext.Default, generated.TypeInfoResolverChain[0]);
        Assert.IsNotType<DefaultJsonTypeInfoResolver>(generated.GetTypeInfo(dto.GetType()).OriginatingResolver);
        Assert.Equal(JsonSerializer.Serialize(dto, dto.GetType(), reflection), JsonSerializer.Serialize(dto, dto.GetType(), generated));
    }
}

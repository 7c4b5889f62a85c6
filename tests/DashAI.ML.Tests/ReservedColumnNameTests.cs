using System.Globalization;
using DashAI.ML.Data;
using DashAI.ML.Training;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace DashAI.ML.Tests;

/// <summary>
/// Column names ML.NET or the pipeline use themselves train like any other name (issue 12, item 7):
/// as the output column, as input columns, and in the saved model.
/// </summary>
public class ReservedColumnNameTests
{
    /// <summary>ML.NET's conventional and output column names, and the names the pipeline gives its own columns.</summary>
    public static TheoryData<string> ReservedNames { get; } = new(
        "Label", "Features", "Score", "PredictedLabel", "Probability",
        "__dashai_features", "__dashai_label", "__dashai_label_value", "__dashai_numeric", "__dashai_cat0", "__dashai_onehot0", "__dashai_text0");

    private static readonly string[] Colours = ["red", "green", "blue"];

    /// <summary>60 rows: the class is "high" when x &gt; 0.5 (and y is noise), with a colour and a note.</summary>
    private static SplitFiles Generated(string label, string x = "x", string colour = "colour", string note = "note", string y = "y")
    {
        var random = new Random(3);
        var header = new[] { x, y, colour, note, label };
        IReadOnlyList<string>[] Rows(int count) => [header, .. Enumerable.Range(0, count).Select(i =>
        {
            var value = (i % 20 / 20.0) + (random.NextDouble() * 0.02);
            IReadOnlyList<string> row =
            [
                value.ToString("0.000", CultureInfo.InvariantCulture),
                random.NextDouble().ToString("0.000", CultureInfo.InvariantCulture),
                Colours[i % 3],
                value > 0.5 ? "a tall thing" : "a short thing",
                value > 0.5 ? "high" : "low",
            ];
            return row;
        })];

        var schema = new DatasetSchema(
            [
                new ColumnInfo(x, ColumnType.Float, 0, 60),
                new ColumnInfo(y, ColumnType.Float, 0, 60),
                new ColumnInfo(colour, ColumnType.Categorical, 0, 3),
                new ColumnInfo(note, ColumnType.Text, 0, 2),
                new ColumnInfo(label, ColumnType.Categorical, 0, 2),
            ],
            [x, y, colour, note],
            [label]);
        return new SplitFiles(schema, TestData.WriteCsv("reserved-train", Rows(60)), TestData.WriteCsv("reserved-val", Rows(20)), TestData.WriteCsv("reserved-test", Rows(20)));
    }

    private static System.Text.Json.Nodes.JsonObject SmallDataParameters(string model) => model switch
    {
        "LightGbmClassifier" => new() { ["number_of_iterations"] = 30, ["minimum_example_count_per_leaf"] = 5 },
        "FastTreeClassifier" => new() { ["number_of_trees"] = 20, ["minimum_example_count_per_leaf"] = 5 },
        _ => [],
    };

    private static void AssertTrainsWell(TrainingResult result)
    {
        foreach (var split in SplitNames.All)
        {
            Assert.True(result.Metrics[split]["accuracy"] >= 0.9, $"{split} accuracy {result.Metrics[split]["accuracy"]}");
        }

        Assert.Equal(["high", "low"], result.Artifacts["class_labels"]!.AsArray().Select(v => v!.GetValue<string>()));
    }

    [Theory]
    [MemberData(nameof(ReservedNames))]
    public void AReservedNameTrainsAndEvaluatesAsTheOutputColumn(string name)
    {
        var data = Generated(label: name);

        foreach (var model in new[] { "LogisticRegression", "LightGbmClassifier" })
        {
            var result = Trainer.Train(data.Request("TabularClassificationTask", model, SmallDataParameters(model)), null, CancellationToken.None);

            AssertTrainsWell(result);
        }
    }

    [Theory]
    [MemberData(nameof(ReservedNames))]
    public void AReservedNameTrainsAsANumericCategoricalOrTextInput(string name)
    {
        foreach (var (x, colour, note) in new[] { (name, "colour", "note"), ("x", name, "note"), ("x", "colour", name) })
        {
            var data = Generated(label: "class", x: x, colour: colour, note: note);

            var result = Trainer.Train(data.Request("TabularClassificationTask", "LogisticRegression"), null, CancellationToken.None);

            AssertTrainsWell(result);
        }
    }

    [Fact]
    public void EveryReservedNameAtOnceTrainsAndTheSavedModelPredictsFromThem()
    {
        var data = Generated(label: "Score", x: "Features", y: "__dashai_numeric", colour: "PredictedLabel", note: "__dashai_text0");

        var result = Trainer.Train(data.Request("TabularClassificationTask", "FastTreeClassifier", SmallDataParameters("FastTreeClassifier")), null, CancellationToken.None);

        AssertTrainsWell(result);
        using var stream = new MemoryStream();
        result.SaveModel(stream);
        stream.Position = 0;
        var mlContext = new MLContext(seed: 0);
        var model = mlContext.Model.Load(stream, out var inputSchema);
        Assert.Equal(["Features", "__dashai_numeric", "PredictedLabel", "__dashai_text0"], inputSchema.Select(c => c.Name));
        var input = TestData.WriteCsv("reserved-predict", [["Features", "__dashai_numeric", "PredictedLabel", "__dashai_text0"], ["0.9", "0.1", "red", "a tall thing"], ["0.1", "0.7", "blue", "a short thing"]]);
        var predictions = model.Transform(CanonicalCsv.CreatePredictionLoader(mlContext, data.Schema).Load(input));
        // The model's "PredictedLabel" hides the input column of that name.
        Assert.Equal(["high", "low"], predictions.GetColumn<ReadOnlyMemory<char>>(TrainingPipeline.PredictedLabelColumn).Select(v => v.ToString()));
    }

    [Theory]
    [InlineData("Score")]
    [InlineData("Label")]
    [InlineData("__dashai_label")]
    public void AReservedNameTrainsAsARegressionOutput(string name)
    {
        var random = new Random(5);
        var header = new[] { "Features", "x", name };
        IReadOnlyList<string>[] Rows(int count) => [header, .. Enumerable.Range(0, count).Select(i =>
        {
            var x = random.NextDouble();
            IReadOnlyList<string> row = [random.NextDouble().ToString("0.000", CultureInfo.InvariantCulture), x.ToString("0.000", CultureInfo.InvariantCulture), (3 * x).ToString("0.000", CultureInfo.InvariantCulture)];
            return row;
        })];
        var schema = new DatasetSchema(
            [new ColumnInfo("Features", ColumnType.Float, 0, 80), new ColumnInfo("x", ColumnType.Float, 0, 80), new ColumnInfo(name, ColumnType.Float, 0, 80)],
            ["Features", "x"],
            [name]);
        var request = new TrainingRequest("RegressionTask", "SdcaRegressor", [], schema, TestData.WriteCsv("reg-train", Rows(80)), TestData.WriteCsv("reg-val", Rows(20)), TestData.WriteCsv("reg-test", Rows(20)), 1);

        var result = Trainer.Train(request, null, CancellationToken.None);

        Assert.True(result.Metrics[SplitNames.Test]["r2"] > 0.9, $"r2 {result.Metrics[SplitNames.Test]["r2"]}");
    }

    [Fact]
    public void InternalColumnsGetAPrefixNoDatasetColumnStartsWith()
    {
        var plain = new DatasetSchema([new ColumnInfo("a", ColumnType.Float, 0, 1), new ColumnInfo("b", ColumnType.Float, 0, 1)], ["a"], ["b"]);
        var clashing = new DatasetSchema([new ColumnInfo("__dashai_x", ColumnType.Float, 0, 1), new ColumnInfo("__dashai__y", ColumnType.Float, 0, 1)], ["__dashai_x"], ["__dashai__y"]);

        Assert.Equal("__dashai_features", PipelineColumns.For(plain).Features);
        var columns = PipelineColumns.For(clashing);
        Assert.Equal("__dashai___", columns.Prefix);
        Assert.DoesNotContain(clashing.Columns, c => c.Name.StartsWith(columns.Prefix, StringComparison.Ordinal));
    }
}

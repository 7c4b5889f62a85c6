using DashAI.ML.Components;
using DashAI.ML.Data;
using DashAI.ML.Metrics;
using DashAI.ML.Models;
using DashAI.ML.Tasks;
using DashAI.ML.Training;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace DashAI.ML.Tests;

public class PipelineTests
{
    private static readonly DatasetSchema MixedSchema = new(
        [
            new ColumnInfo("size", ColumnType.Float, 1, 7),
            new ColumnInfo("count", ColumnType.Integer, 0, 8),
            new ColumnInfo("colour", ColumnType.Categorical, 1, 3),
            new ColumnInfo("city", ColumnType.Categorical, 0, 500),
            new ColumnInfo("active", ColumnType.Boolean, 0, 2),
            new ColumnInfo("notes", ColumnType.Text, 0, 8),
            new ColumnInfo("label", ColumnType.Categorical, 0, 2),
        ],
        ["size", "count", "colour", "city", "active", "notes"],
        ["label"]);

    private static string MixedCsv() => TestData.WriteCsv("mixed",
    [
        ["size", "count", "colour", "city", "active", "notes", "label"],
        ["1.5", "1", "red", "Lyon", "true", "small, \"cheap\"\nsecond line", "yes"],
        ["", "2", "blue", "Paris", "false", "large and heavy", "no"],
        ["2.5", "3", "", "Rome", "true", "small again", "yes"],
        ["9.0", "4", "green", "Oslo", "false", "large box", "no"],
        ["1.0", "5", "red", "Lima", "true", "small thing", "yes"],
        ["8.5", "6", "blue", "Kyiv", "false", "large crate", "no"],
        ["2.0", "7", "red", "Bern", "true", "small cup", "yes"],
        ["7.5", "8", "green", "Riga", "false", "large table", "no"],
    ]);

    [Theory]
    [InlineData("LogisticRegression")]
    [InlineData("FastTreeClassifier")]
    public void PipelineFeaturizesEveryColumnTypeAndMapsPredictionsBack(string modelName)
    {
        var mlContext = new MLContext(seed: 1);
        var model = ModelCatalog.Find(modelName)!;
        var parameters = ComponentRegistry.ValidateAndFillDefaults(modelName, "TabularClassificationTask",
            modelName == "FastTreeClassifier" ? new() { ["number_of_trees"] = 5, ["minimum_example_count_per_leaf"] = 1 } : null);
        var pipeline = PipelineBuilder.BuildPipeline(mlContext, new TabularClassificationTask(), model, parameters, MixedSchema, seed: 1);
        var data = CanonicalCsv.CreateLoader(mlContext, MixedSchema).Load(MixedCsv());

        var labelled = pipeline.LabelMapping.Fit(data).Transform(data);
        var encoded = pipeline.Encoding.Fit(labelled).Transform(labelled);
        var scored = pipeline.CreateModel().Fit(encoded).Transform(encoded);

        Assert.Equal(8, scored.GetColumn<float>("size").Count());
        Assert.StartsWith("small, \"cheap\"\nsecond line", scored.GetColumn<ReadOnlyMemory<char>>("notes").First().ToString(), StringComparison.Ordinal);
        // GetColumn reuses one buffer: copy each row.
        var features = scored.GetColumn<VBuffer<float>>(pipeline.Columns.Features).Select(f => f.DenseValues().ToArray()).ToList();
        Assert.All(features, f => Assert.DoesNotContain(f, float.IsNaN));
        // Row 2 has no size: mean imputation, which is 0 once a linear model's numbers are standardized.
        var sizeMean = new[] { 1.5f, 2.5f, 9.0f, 1.0f, 8.5f, 2.0f, 7.5f }.Average();
        Assert.Equal(model.NeedsNormalization ? 0f : sizeMean, features[1][0], 4);
        Assert.NotEqual(0f, features[0][0]);
        var predicted = scored.GetColumn<ReadOnlyMemory<char>>(TrainingPipeline.PredictedLabelColumn).Select(v => v.ToString()).ToList();
        Assert.All(predicted, p => Assert.Contains(p, new[] { "yes", "no" }));
    }

    [Fact]
    public void BuildingAPipelineReadsNoData()
    {
        var mlContext = new MLContext(seed: 1);
        var parameters = ComponentRegistry.ValidateAndFillDefaults("SdcaRegressor", "RegressionTask", null);
        var schema = new DatasetSchema([new ColumnInfo("x", ColumnType.Float, 0, 3), new ColumnInfo("y", ColumnType.Float, 0, 3)], ["x"], ["y"]);

        var pipeline = PipelineBuilder.BuildPipeline(mlContext, new RegressionTask(), ModelCatalog.Find("SdcaRegressor")!, parameters, schema);

        Assert.NotNull(pipeline.CreateModel());
        Assert.NotNull(pipeline.Encoding);
        Assert.NotNull(pipeline.LabelMapping);
        Assert.Equal(["__dashai_numeric"], pipeline.EncodedColumns);
    }

    [Fact]
    public void BuildingAPipelineForAModelOfAnotherTaskIsInvalidInput()
    {
        var mlContext = new MLContext(seed: 1);

        Assert.Throws<InvalidInputException>(() => PipelineBuilder.BuildPipeline(
            mlContext, new RegressionTask(), ModelCatalog.Find("LinearSvm")!, [], MixedSchema));
    }
}

public class MetricCalculatorTests
{
    [Fact]
    public void ClassificationMetricsMatchScikitLearn()
    {
        // y_true = [0, 0, 1, 1, 2], y_pred = [0, 1, 1, 1, 0]; values from sklearn.metrics.
        int[] actual = [0, 0, 1, 1, 2];
        float[][] probabilities = [[0.8f, 0.1f, 0.1f], [0.3f, 0.6f, 0.1f], [0.2f, 0.7f, 0.1f], [0.1f, 0.8f, 0.1f], [0.5f, 0.2f, 0.3f]];

        var metrics = MetricCalculator.Classification(actual, probabilities, 3);

        Assert.Equal(0.6, metrics["accuracy"], 6);
        Assert.Equal(0.5, metrics["balanced_accuracy"], 6);
        Assert.Equal(0.388889, metrics["precision_macro"], 5);
        Assert.Equal(0.5, metrics["recall_macro"], 6);
        Assert.Equal(0.433333, metrics["f1_macro"], 5);
        Assert.Equal(0.52, metrics["f1_weighted"], 6);
        Assert.Equal(0.642182, metrics["log_loss"], 5);
        Assert.DoesNotContain("roc_auc", metrics.Keys);
    }

    [Fact]
    public void RocAucHandlesTies()
    {
        // sklearn.metrics.roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.4, 0.8]) == 0.875
        int[] actual = [0, 0, 1, 1];
        float[][] probabilities = [[0.9f, 0.1f], [0.6f, 0.4f], [0.6f, 0.4f], [0.2f, 0.8f]];

        Assert.Equal(0.875, MetricCalculator.Classification(actual, probabilities, 2)["roc_auc"], 6);
    }

    [Fact]
    public void RegressionMetricsMatchScikitLearn()
    {
        // sklearn: r2_score([3, -0.5, 2, 7], [2.5, 0.0, 2, 8]) == 0.948608...
        var metrics = MetricCalculator.Regression([3, -0.5, 2, 7], [2.5, 0.0, 2, 8]);

        Assert.Equal(0.375, metrics["mse"], 6);
        Assert.Equal(0.5, metrics["mae"], 6);
        Assert.Equal(Math.Sqrt(0.375), metrics["rmse"], 6);
        Assert.Equal(0.948608, metrics["r2"], 5);
    }
}

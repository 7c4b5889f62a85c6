using System.Diagnostics;
using System.Text.Json.Nodes;
using DashAI.ML.Data;
using DashAI.ML.Training;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace DashAI.ML.Tests;

public class TrainerTests
{
    private static readonly string[] ClassificationMetrics =
        ["accuracy", "balanced_accuracy", "precision_macro", "recall_macro", "f1_macro", "f1_weighted", "log_loss"];

    [Fact]
    public void TrainingReportsEveryMetricOnEverySplitAndTheClassLabels()
    {
        var stages = new List<TrainingStage>();

        var result = Trainer.Train(TestData.Iris.Request("TabularClassificationTask", "LogisticRegression"), new SyncProgress(stages), CancellationToken.None);

        Assert.Equal(SplitNames.All, result.Metrics.Keys);
        foreach (var split in SplitNames.All)
        {
            Assert.Equal(ClassificationMetrics.Order(), result.Metrics[split].Keys.Order());
        }

        Assert.Equal(["setosa", "versicolor", "virginica"], result.Artifacts["class_labels"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.Equal(30, result.Artifacts["rows"]![SplitNames.Test]!.GetValue<long>());
        Assert.Equal([TrainingStage.Loading, TrainingStage.Training, TrainingStage.Evaluating, TrainingStage.Saving], stages);
    }

    [Fact]
    public void SameSeedAndDataGiveTheSameMetrics()
    {
        foreach (var model in new[] { "LightGbmClassifier", "SdcaMaximumEntropy", "FastForestClassifier" })
        {
            var request = TestData.Wine.Request("TabularClassificationTask", model, ModelTrainingTests.Parameters(model), seed: 7);

            var first = Trainer.Train(request, null, CancellationToken.None);
            var second = Trainer.Train(request, null, CancellationToken.None);

            Assert.Equal(first.Metrics[SplitNames.Test], second.Metrics[SplitNames.Test]);
            Assert.Equal(first.Metrics[SplitNames.Train], second.Metrics[SplitNames.Train]);
        }
    }

    [Fact]
    public void SavedModelPredictsOriginalLabelsFromTheInputColumnsAlone()
    {
        var data = TestData.Iris;
        var result = Trainer.Train(data.Request("TabularClassificationTask", "LightGbmClassifier", ModelTrainingTests.Parameters("LightGbmClassifier")), null, CancellationToken.None);
        using var stream = new MemoryStream();
        result.SaveModel(stream);
        stream.Position = 0;

        var mlContext = new MLContext(seed: 0);
        var model = mlContext.Model.Load(stream, out var inputSchema);
        var input = TestData.WriteCsv("iris-predict", [["sepal_length", "sepal_width", "petal_length", "petal_width"], ["5.1", "3.5", "1.4", "0.2"], ["6.7", "3.0", "5.2", "2.3"]]);
        var predictions = model.Transform(CanonicalCsv.CreatePredictionLoader(mlContext, data.Schema).Load(input));

        Assert.Equal(4, inputSchema.Count);
        Assert.Equal(["setosa", "virginica"], predictions.GetColumn<ReadOnlyMemory<char>>(TrainingPipeline.PredictedLabelColumn).Select(v => v.ToString()));
        var scores = predictions.GetColumn<VBuffer<float>>(TrainingPipeline.ScoreColumn).First();
        Assert.Equal(3, scores.Length);
        Assert.Equal(1.0, scores.DenseValues().Sum(), 3);
    }

    [Fact]
    public void IntegerLabelsArePredictedAsNumbers()
    {
        var data = TestData.Digits;
        var result = Trainer.Train(data.Request("TabularClassificationTask", "LogisticRegression"), null, CancellationToken.None);
        using var stream = new MemoryStream();
        result.SaveModel(stream);
        stream.Position = 0;

        var mlContext = new MLContext(seed: 0);
        var model = mlContext.Model.Load(stream, out _);
        var predicted = model.Transform(CanonicalCsv.CreateLoader(mlContext, data.Schema).Load(data.TestPath))
            .GetColumn<float>(TrainingPipeline.PredictedLabelColumn).ToList();

        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), result.Artifacts["class_labels"]!.AsArray().Select(v => v!.GetValue<long>()));
        Assert.All(predicted, p => Assert.InRange(p, 0, 9));
        Assert.True(predicted.Distinct().Count() >= 9);
    }

    [Fact]
    public void RegressionPredictsANumberAndHasNoClassArtifacts()
    {
        var result = Trainer.Train(TestData.Diabetes.Request("RegressionTask", "SdcaRegressor"), null, CancellationToken.None);

        Assert.Equal(["mae", "mse", "r2", "rmse"], result.Metrics[SplitNames.Validation].Keys.Order());
        Assert.Null(result.Artifacts["class_labels"]);
        Assert.True(result.ModelSize > 0);
    }

    [Fact]
    public void AClassMissingFromTheTrainingSplitIsInvalidInput()
    {
        var header = new[] { "x", "label" };
        var train = TestData.WriteCsv("unseen-train", [header, ["1", "a"], ["2", "a"], ["8", "b"], ["9", "b"]]);
        var test = TestData.WriteCsv("unseen-test", [header, ["1", "a"], ["5", "c"], ["6", "c"]]);
        var schema = new DatasetSchema([new ColumnInfo("x", ColumnType.Integer, 0, 4), new ColumnInfo("label", ColumnType.Categorical, 0, 2)], ["x"], ["label"]);

        var error = Assert.Throws<InvalidInputException>(() => Trainer.Train(
            new TrainingRequest("TabularClassificationTask", "LogisticRegression", [], schema, train, train, test, 0), null, CancellationToken.None));

        Assert.Contains("test split has 2 row(s)", error.Message, StringComparison.Ordinal);
        Assert.Contains("'c'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ATrainingSplitWithOneClassIsInvalidInput()
    {
        var header = new[] { "x", "label" };
        var train = TestData.WriteCsv("one-class", [header, ["1", "a"], ["2", "a"], ["3", ""]]);
        var schema = new DatasetSchema([new ColumnInfo("x", ColumnType.Integer, 0, 3), new ColumnInfo("label", ColumnType.Categorical, 1, 2)], ["x"], ["label"]);

        var error = Assert.Throws<InvalidInputException>(() => Trainer.Train(
            new TrainingRequest("TabularClassificationTask", "LogisticRegression", [], schema, train, train, train, 0), null, CancellationToken.None));

        Assert.Contains("at least 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InvalidParametersAreRejectedBeforeTraining()
    {
        var request = TestData.Iris.Request("TabularClassificationTask", "LinearSvm", new JsonObject { ["lambda"] = -1 });

        Assert.Throws<InvalidInputException>(() => Trainer.Train(request, null, CancellationToken.None));
    }

    [Fact]
    public void AnAlreadyCancelledTokenStopsBeforeLoading()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() => Trainer.Train(TestData.Iris.Request("TabularClassificationTask", "LogisticRegression"), null, cancelled.Token));
    }

    [Fact]
    public void CancellationStopsALongFit()
    {
        // Uncancelled, this fit takes well over 30 seconds on two cores (10 classes x 3000 rounds).
        var request = TestData.Digits.Request("TabularClassificationTask", "LightGbmClassifier",
            new JsonObject { ["number_of_iterations"] = 3000, ["learning_rate"] = 0.01, ["minimum_example_count_per_leaf"] = 1 });
        using var cancellation = new CancellationTokenSource();
        var stages = new List<TrainingStage>();
        var progress = new SyncProgress(stages, stage =>
        {
            if (stage == TrainingStage.Training)
            {
                cancellation.CancelAfter(TimeSpan.FromMilliseconds(500));
            }
        });
        var watch = Stopwatch.StartNew();

        Assert.ThrowsAny<OperationCanceledException>(() => Trainer.Train(request, progress, cancellation.Token));

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"cancellation took {watch.Elapsed}");
        Assert.DoesNotContain(TrainingStage.Evaluating, stages);
    }

    internal sealed class SyncProgress(List<TrainingStage> stages, Action<TrainingStage>? onReport = null) : IProgress<TrainingStage>
    {
        public void Report(TrainingStage value)
        {
            stages.Add(value);
            onReport?.Invoke(value);
        }
    }
}

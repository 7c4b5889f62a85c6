using System.Diagnostics;
using DashAI.Functions.Datasets;
using DashAI.Functions.Experiments;
using DashAI.Functions.Jobs;
using DashAI.Functions.Runs;
using DashAI.Functions.Tests.Infrastructure;
using DashAI.ML.Data;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace DashAI.Functions.Tests.Training;

/// <summary>The thesis flow end to end in-process: real uploads, real ML.NET training through the queue as the host drives it.</summary>
public sealed class TrainingFlowTests : IAsyncLifetime
{
    private readonly TestApp _app = TestApp.Create(settings: new Dictionary<string, string?>
    {
        ["DashAI:Training:HeartbeatSeconds"] = "1",
        ["DashAI:Training:StaleAfterSeconds"] = "5",
    });

    private QueueHost _host = null!;

    public Task InitializeAsync()
    {
        _host = new QueueHost(_app);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private async Task<long> UploadAsync(string file, string name, string task)
    {
        var response = await _app.Invoke(
            await Uploads.Request(_app, Uploads.Params(name, task), Uploads.SharedFile(file), file),
            _app.Function<DatasetUploadFunction>().Create);
        return response.AssertStatus(201).Id;
    }

    private async Task<long> ExperimentAsync(long datasetId, string task, string name) =>
        (await _app.Invoke(
            _app.Request("POST", query: $"dataset_id={datasetId}&task_name={task}&name={name}"),
            _app.Function<ExperimentFunctions>().Create)).AssertStatus(201).Id;

    private async Task<long> RunAsync(long experimentId, string model, object? parameters = null) =>
        (await _app.Invoke(
            _app.Request("POST", json: new { experiment_id = experimentId, model_name = model, name = model, parameters }),
            _app.Function<RunFunctions>().Create)).AssertStatus(201).Id;

    private async Task<long> EnqueueAsync(long runId) =>
        (await _app.Invoke(_app.Request("POST", query: $"run_id={runId}"), _app.Function<JobFunctions>().Enqueue)).AssertStatus(201).Id;

    private Task<RunEntity> Run(long id) => _app.Stores.Runs.GetAsync(id, default);

    [Fact]
    public async Task TheThesisFlowTrainsOneRunAndFailsTheOneWhoseSplitsAreGone()
    {
        var iris = await UploadAsync("iris.csv", "iris", "TabularClassificationTask");
        var broken = await UploadAsync("iris.csv", "iris-broken", "TabularClassificationTask");
        var good = await RunAsync(await ExperimentAsync(iris, "TabularClassificationTask", "iris-exp"), "LogisticRegression");
        var bad = await RunAsync(await ExperimentAsync(broken, "TabularClassificationTask", "broken-exp"), "LightGbmClassifier");
        var goodJob = await EnqueueAsync(good);
        var badJob = await EnqueueAsync(bad);
        await _app.Storage.Container(_app.Storage.Names.DatasetsContainer).DeleteBlobAsync(DatasetBlobs.Split(broken, SplitNames.Train));

        var deliveries = await _host.DrainAsync();

        Assert.All(deliveries, d => Assert.True(d.Succeeded, d.Error?.ToString()));
        var finished = await Run(good);
        Assert.Equal(RunStatus.Finished, finished.RunStatus);
        Assert.True(finished.DeliveryTime <= finished.StartTime && finished.StartTime <= finished.EndTime);
        foreach (var metrics in new[] { finished.TrainMetrics, finished.ValidationMetrics, finished.TestMetrics })
        {
            var values = System.Text.Json.Nodes.JsonNode.Parse(metrics!)!.AsObject();
            foreach (var name in new[] { "accuracy", "balanced_accuracy", "precision_macro", "recall_macro", "f1_macro", "f1_weighted", "log_loss" })
            {
                Assert.True(values.ContainsKey(name), $"{name} missing");
            }
        }

        Assert.True(System.Text.Json.Nodes.JsonNode.Parse(finished.TestMetrics!)!["accuracy"]!.GetValue<double>() > 0.8);
        Assert.NotNull(finished.DatasetSha256);
        var failed = await Run(bad);
        Assert.Equal(RunStatus.Error, failed.RunStatus);
        Assert.Contains("train split", failed.Error);
        Assert.Equal(JobStatus.Succeeded, (await _app.Stores.Jobs.GetAsync(goodJob, default)).Status);
        var failedJob = await _app.Stores.Jobs.GetAsync(badJob, default);
        Assert.Equal(JobStatus.Failed, failedJob.Status);
        Assert.Contains("train split", failedJob.Error);

        // The stored model loads and predicts species from the input columns.
        var blob = await _app.Storage.Container(_app.Storage.Names.ModelsContainer).GetBlobClient($"{good}/model.zip").DownloadContentAsync();
        var mlContext = new MLContext(seed: 1);
        var model = mlContext.Model.Load(blob.Value.Content.ToStream(), out _);
        var dataset = await _app.Stores.Datasets.GetAsync(iris, default);
        var schema = DatasetSchemaJson.FromEntity(dataset)!;
        var input = Path.Combine(Path.GetTempPath(), $"iris-predict-{Guid.NewGuid():N}.csv");
        await File.WriteAllTextAsync(input, "sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3\n");
        try
        {
            var predictions = model.Transform(CanonicalCsv.CreatePredictionLoader(mlContext, schema).Load(input));
            Assert.Equal(["setosa", "virginica"], predictions.GetColumn<ReadOnlyMemory<char>>("PredictedLabel").Select(v => v.ToString()));
        }
        finally
        {
            File.Delete(input);
        }
    }

    [Fact]
    public async Task ARegressionRunAndATextClassificationRunFinishWithTheirMetrics()
    {
        var diabetes = await UploadAsync("diabetes.csv", "diabetes", "RegressionTask");
        var packages = await UploadAsync("package_sections.csv", "packages", "TextClassificationTask");
        var regression = await RunAsync(await ExperimentAsync(diabetes, "RegressionTask", "diabetes-exp"), "SdcaRegressor");
        var text = await RunAsync(await ExperimentAsync(packages, "TextClassificationTask", "packages-exp"), "LogisticRegression");
        await EnqueueAsync(regression);
        await EnqueueAsync(text);

        var deliveries = await _host.DrainAsync();

        Assert.All(deliveries, d => Assert.True(d.Succeeded, d.Error?.ToString()));
        var regressionRun = await Run(regression);
        Assert.True(regressionRun.RunStatus == RunStatus.Finished, regressionRun.Error);
        var regressionMetrics = System.Text.Json.Nodes.JsonNode.Parse(regressionRun.TestMetrics!)!.AsObject();
        Assert.Equal(["mae", "mse", "r2", "rmse"], regressionMetrics.Select(m => m.Key).Order());
        var textRun = await Run(text);
        Assert.True(textRun.RunStatus == RunStatus.Finished, textRun.Error);
        // The run stored (and trained with) LogisticRegression's text default, not the tabular one.
        Assert.Equal(1.0, System.Text.Json.Nodes.JsonNode.Parse(textRun.Parameters)!["l2_regularization"]!.GetValue<double>());
        Assert.True(System.Text.Json.Nodes.JsonNode.Parse(textRun.TestMetrics!)!["accuracy"]!.GetValue<double>() > 0.3);
    }

    [Fact]
    public async Task CancellingARunningFitStopsItLongBeforeItWouldEnd()
    {
        var digits = await UploadAsync("digits.csv", "digits", "TabularClassificationTask");
        // Uncancelled, this fit takes well over 30 seconds on two cores.
        var run = await RunAsync(
            await ExperimentAsync(digits, "TabularClassificationTask", "digits-exp"),
            "LightGbmClassifier",
            new { number_of_iterations = 3000, learning_rate = 0.01, minimum_example_count_per_leaf = 1 });
        var job = await EnqueueAsync(run);
        var delivery = _host.DeliverNextAsync();
        var deadline = Stopwatch.StartNew();
        while ((await Run(run)).Stage != "training" && deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(100);
        }

        var watch = Stopwatch.StartNew();
        var cancel = await _app.Invoke(_app.Request("DELETE"), (r, ct) => _app.Function<JobFunctions>().Cancel(r, job.ToString(), ct));
        var result = await delivery.WaitAsync(TimeSpan.FromSeconds(60));

        cancel.AssertStatus(202);
        Assert.True(result!.Succeeded, result.Error?.ToString());
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"stopping took {watch.Elapsed}");
        Assert.Equal(RunStatus.Cancelled, (await Run(run)).RunStatus);
        Assert.Equal(JobStatus.Cancelled, (await _app.Stores.Jobs.GetAsync(job, default)).Status);
    }
}

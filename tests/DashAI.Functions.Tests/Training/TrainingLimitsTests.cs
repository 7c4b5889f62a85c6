using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using DashAI.Functions.Datasets;
using DashAI.Functions.Experiments;
using DashAI.Functions.Jobs;
using DashAI.Functions.Runs;
using DashAI.Functions.Tests.Infrastructure;

namespace DashAI.Functions.Tests.Training;

/// <summary>
/// Through the queue as the host drives it: any column name trains, and a run that cannot fit the instance's
/// memory ends in ERROR with the estimate and what to do instead of crashing the instance.
/// </summary>
public sealed class TrainingLimitsTests
{
    private static async Task<(long Run, long Job)> TrainAsync(TestApp app, byte[] csv, string label, string model)
    {
        var upload = await app.Invoke(
            await Uploads.Request(app, Uploads.Params("named", outputs: [label]), csv, "named.csv"),
            app.Function<DatasetUploadFunction>().Create);
        var dataset = upload.AssertStatus(201).Id;
        var experiment = (await app.Invoke(
            app.Request("POST", query: $"dataset_id={dataset}&task_name=TabularClassificationTask&name=exp"),
            app.Function<ExperimentFunctions>().Create)).AssertStatus(201).Id;
        var run = (await app.Invoke(
            app.Request("POST", json: new { experiment_id = experiment, model_name = model, name = "r" }),
            app.Function<RunFunctions>().Create)).AssertStatus(201).Id;
        var job = (await app.Invoke(app.Request("POST", query: $"run_id={run}"), app.Function<JobFunctions>().Enqueue)).AssertStatus(201).Id;

        var deliveries = await new QueueHost(app).DrainAsync();

        Assert.All(deliveries, d => Assert.True(d.Succeeded, d.Error?.ToString()));
        return (run, job);
    }

    /// <summary>120 rows whose class follows the first input; the columns carry names ML.NET and the pipeline use themselves.</summary>
    private static byte[] ReservedNamesCsv()
    {
        var text = new StringBuilder("Features,__dashai_features,PredictedLabel,Label,Score\n");
        for (var i = 0; i < 120; i++)
        {
            var x = i % 10 / 10.0;
            text.Append(CultureInfo.InvariantCulture, $"{x:0.0},{(i * 7) % 13},{(i % 3 == 0 ? "red" : "blue")},{i % 2},{(x > 0.45 ? "high" : "low")}\n");
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    [Fact]
    public async Task ColumnsNamedLikeMlNetsOrThePipelinesOwnTrainAndEvaluate()
    {
        await using var app = TestApp.Create();

        var (runId, _) = await TrainAsync(app, ReservedNamesCsv(), "Score", "LogisticRegression");

        var run = await app.Stores.Runs.GetAsync(runId, default);
        Assert.True(run.RunStatus == RunStatus.Finished, run.Error);
        Assert.True(JsonNode.Parse(run.TestMetrics!)!["accuracy"]!.GetValue<double>() >= 0.9, run.TestMetrics);
        Assert.Equal(["high", "low"], JsonNode.Parse(run.Artifacts!)!["class_labels"]!.AsArray().Select(v => v!.GetValue<string>()));
    }

    [Fact]
    public async Task ARunThatCannotFitTheInstanceMemoryEndsInErrorNamingTheEstimateTheInstanceAndTheWayOut()
    {
        await using var app = TestApp.Create(settings: new Dictionary<string, string?> { ["DashAI:Training:InstanceMemoryMB"] = "64" });

        var (runId, jobId) = await TrainAsync(app, ReservedNamesCsv(), "Score", "LightGbmClassifier");

        var run = await app.Stores.Runs.GetAsync(runId, default);
        Assert.Equal(RunStatus.Error, run.RunStatus);
        Assert.Matches(@"needs about [\d,]+ MB of memory, but the instance has 64 MB \(48 MB usable for training\)", run.Error);
        Assert.Contains("Train on a sample", run.Error, StringComparison.Ordinal);
        Assert.Contains("fewer input columns", run.Error, StringComparison.Ordinal);
        Assert.Contains("instanceMemoryMB in infra/", run.Error, StringComparison.Ordinal);
        Assert.Equal(JobStatus.Failed, (await app.Stores.Jobs.GetAsync(jobId, default)).Status);
        Assert.False(await app.Storage.Container(app.Storage.Names.ModelsContainer).GetBlobClient($"{runId}/model.zip").ExistsAsync());
    }
}

using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using DashAI.Functions.Jobs;
using DashAI.Functions.Predictions;
using DashAI.Functions.Tests.Infrastructure;

namespace DashAI.Functions.Tests.Predictions;

public sealed class BatchPredictionTests : IAsyncLifetime
{
    private readonly TestApp _app = TestApp.Create(settings: new Dictionary<string, string?>
    {
        ["DashAI:Training:HeartbeatSeconds"] = "1",
        ["DashAI:Training:StaleAfterSeconds"] = "5",
    });

    private PredictionFlow _flow = null!;

    public Task InitializeAsync()
    {
        _flow = new PredictionFlow(_app);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task ADatasetIsScoredByAJobOfTypeOneIntoACsvOfItsRowsInOriginalOrder()
    {
        var (datasetId, runId) = await _flow.TrainAsync("iris.csv", "LightGbmClassifier", parameters: new { number_of_iterations = 20 });

        var created = (await _flow.CreatePredictionAsync(new { run_id = runId, dataset_id = datasetId })).AssertStatus(201);
        var jobId = created.Json["job_id"]!.GetValue<long>();
        var job = await _app.Stores.Jobs.GetAsync(jobId, default);
        Assert.Equal("queued", created.Json["status"]!.GetValue<string>());
        Assert.Equal((JobTypes.Predict, runId, created.Id), (job.Type, job.RunId, job.TargetId!.Value));

        var deliveries = await _flow.Host.DrainAsync();

        Assert.All(deliveries, d => Assert.True(d.Succeeded, d.Error?.ToString()));
        var prediction = (await _flow.GetPredictionAsync(created.Id)).AssertStatus(200).Json;
        Assert.Equal("finished", prediction["status"]!.GetValue<string>());
        Assert.Equal(150, prediction["rows_scored"]!.GetValue<long>());
        Assert.Equal(["predicted_species", "probability_setosa", "probability_versicolor", "probability_virginica"], prediction["prediction_columns"]!.AsArray().Select(c => c!.GetValue<string>()));
        Assert.Equal(JobStatus.Succeeded, (await _app.Stores.Jobs.GetAsync(jobId, default)).Status);

        var file = (await _flow.GetFileAsync(created.Id)).AssertStatus(200);
        var lines = file.Body.TrimEnd('\n').Split('\n');
        var original = File.ReadAllLines(RepoPaths.Sample("iris.csv"));
        Assert.Equal(original[0] + ",predicted_species,probability_setosa,probability_versicolor,probability_virginica", lines[0]);
        Assert.Equal(original.Length, lines.Length);
        for (var i = 1; i < lines.Length; i++)
        {
            Assert.StartsWith(original[i] + ",", lines[i], StringComparison.Ordinal);
        }

        var correct = lines.Skip(1).Count(l => l.Split(',')[4] == l.Split(',')[5]);
        Assert.True(correct >= 140, $"{correct} of 150 right");
    }

    [Fact]
    public async Task AnUploadedJsonFileIsScoredAndTheListGetAndDeleteWork()
    {
        var (_, runId) = await _flow.TrainAsync("iris.csv", "LogisticRegression");
        var records = PredictionFlow.Rows("iris.csv", "species", 40);
        var request = await Uploads.Request(
            _app,
            new { run_id = runId, dataloader = "JSONDataLoader", dataloader_params = new { data_key = "data" } },
            Encoding.UTF8.GetBytes(new JsonObject { ["data"] = records }.ToJsonString()),
            "rows.json",
            "application/json");

        var created = (await _app.Invoke(request, _app.Function<PredictionFunctions>().Create)).AssertStatus(201);
        await _flow.Host.DrainAsync();

        var prediction = (await _flow.GetPredictionAsync(created.Id)).AssertStatus(200).Json;
        Assert.Equal("finished", prediction["status"]!.GetValue<string>());
        Assert.Equal("rows.json", prediction["file_name"]!.GetValue<string>());
        Assert.Equal(40, (await _flow.GetFileAsync(created.Id)).AssertStatus(200).Body.TrimEnd('\n').Split('\n').Length - 1);
        var list = (await _app.Invoke(_app.Request("GET", query: $"run_id={runId}&limit=1"), _app.Function<PredictionFunctions>().List)).AssertStatus(200);
        Assert.Equal([created.Id], list.Json.AsArray().Select(p => p!["id"]!.GetValue<long>()));

        var deleted = await _app.Invoke(_app.Request("DELETE"), (r, ct) => _app.Function<PredictionFunctions>().Delete(r, created.Id.ToString(CultureInfo.InvariantCulture), ct));

        deleted.AssertStatus(204);
        (await _flow.GetPredictionAsync(created.Id)).AssertProblem(404);
        var blobs = _app.Storage.Container(_app.Storage.Names.PredictionsContainer).GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, PredictionBlobs.Prefix(created.Id), default);
        await foreach (var blob in blobs)
        {
            Assert.Fail($"{blob.Name} was left behind");
        }
    }

    [Fact]
    public async Task AFileWithAWrongValueEndsInErrorNamingItsRowAndColumn()
    {
        var (_, runId) = await _flow.TrainAsync("iris.csv", "LogisticRegression");
        var csv = "sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2\n6.0,wide,4.0,1.2\n";
        var request = await Uploads.Request(_app, new { run_id = runId, dataloader = "CSVDataLoader" }, Encoding.UTF8.GetBytes(csv), "rows.csv");

        var created = (await _app.Invoke(request, _app.Function<PredictionFunctions>().Create)).AssertStatus(201);
        await _flow.Host.DrainAsync();

        var prediction = (await _flow.GetPredictionAsync(created.Id)).AssertStatus(200).Json;
        Assert.Equal("error", prediction["status"]!.GetValue<string>());
        Assert.Contains("Row 2, column 'sepal_width': 'wide' is not a number.", prediction["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(JobStatus.Failed, (await _app.Stores.Jobs.GetAsync(prediction["job_id"]!.GetValue<long>(), default)).Status);
        (await _flow.GetFileAsync(created.Id)).AssertProblem(404);
    }

    [Fact]
    public async Task CancellingAQueuedPredictionJobCancelsThePrediction()
    {
        var (datasetId, runId) = await _flow.TrainAsync("iris.csv", "LogisticRegression");
        var created = (await _flow.CreatePredictionAsync(new { run_id = runId, dataset_id = datasetId })).AssertStatus(201);
        var jobId = created.Json["job_id"]!.GetValue<long>();

        var deleteRunning = await _app.Invoke(_app.Request("DELETE"), (r, ct) => _app.Function<PredictionFunctions>().Delete(r, created.Id.ToString(CultureInfo.InvariantCulture), ct));
        (await _app.Invoke(_app.Request("DELETE"), (r, ct) => _app.Function<JobFunctions>().Cancel(r, jobId.ToString(CultureInfo.InvariantCulture), ct))).AssertStatus(200);
        await _flow.Host.DrainAsync();

        deleteRunning.AssertProblem(409, "cancel its job");
        var prediction = (await _flow.GetPredictionAsync(created.Id)).AssertStatus(200).Json;
        Assert.Equal("cancelled", prediction["status"]!.GetValue<string>());
        Assert.Equal(0, prediction["rows_scored"]!.GetValue<long>());
    }

    [Fact]
    public async Task CreatingAPredictionChecksTheRunAndTheDataset()
    {
        var (datasetId, runId) = await _flow.TrainAsync("iris.csv", "LogisticRegression");
        var wine = await _flow.UploadAsync("wine.csv", "wine-" + Guid.NewGuid().ToString("N")[..6]);
        var run = await _app.Stores.Runs.GetAsync(runId, default);
        var queued = await Seed.Run(_app, run.ExperimentId, DashAI.Functions.Runs.RunStatus.Delivered);

        (await _flow.CreatePredictionAsync(new { run_id = runId, dataset_id = wine })).AssertProblem(400, "no column 'sepal_length'");
        (await _flow.CreatePredictionAsync(new { run_id = queued.Id, dataset_id = datasetId })).AssertProblem(409, "only a FINISHED run predicts");
        (await _flow.CreatePredictionAsync(new { run_id = runId, dataset_id = 999_999 })).AssertProblem(404);
        (await _flow.CreatePredictionAsync(new { run_id = runId })).AssertProblem(400, "dataset_id");
        (await _flow.CreatePredictionAsync(new { run_id = runId, dataset_id = datasetId, model = 1 })).AssertProblem(400, "model");
        Assert.Empty(await _app.Stores.Predictions.ListAsync(null, default));
    }
}

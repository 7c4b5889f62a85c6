using System.Buffers.Binary;
using System.Text.Json.Nodes;
using DashAI.Functions.Datasets;
using DashAI.Functions.Experiments;
using DashAI.Functions.Explainers;
using DashAI.Functions.Jobs;
using DashAI.Functions.Runs;
using DashAI.Functions.Tests.Infrastructure;

namespace DashAI.Functions.Tests.Explainers;

/// <summary>Explainers through the API and the queue in-process: a trained iris run explained by each explainer as a job (type 2).</summary>
public sealed class ExplainerFunctionsTests : IAsyncLifetime
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

    private ExplainerFunctions Explainers => _app.Function<ExplainerFunctions>();

    private async Task<long> TrainedIrisRunAsync()
    {
        var dataset = (await _app.Invoke(
            await Uploads.Request(_app, Uploads.Params("iris", "TabularClassificationTask"), Uploads.SharedFile("iris.csv"), "iris.csv"),
            _app.Function<DatasetUploadFunction>().Create)).AssertStatus(201).Id;
        var experiment = (await _app.Invoke(
            _app.Request("POST", query: $"dataset_id={dataset}&task_name=TabularClassificationTask&name=iris-explained"),
            _app.Function<ExperimentFunctions>().Create)).AssertStatus(201).Id;
        var run = (await _app.Invoke(
            _app.Request("POST", json: new { experiment_id = experiment, model_name = "LogisticRegression", name = "logreg" }),
            _app.Function<RunFunctions>().Create)).AssertStatus(201).Id;
        (await _app.Invoke(_app.Request("POST", query: $"run_id={run}"), _app.Function<JobFunctions>().Enqueue)).AssertStatus(201);
        Assert.All(await _host.DrainAsync(), d => Assert.True(d.Succeeded, d.Error?.ToString()));
        Assert.Equal(RunStatus.Finished, (await _app.Stores.Runs.GetAsync(run, default)).RunStatus);
        return run;
    }

    private async Task<TestResponse> CreateAsync(object body) =>
        await _app.Invoke(_app.Request("POST", json: body), Explainers.Create);

    private async Task<JsonNode> GetAsync(long id) =>
        (await _app.Invoke(_app.Request("GET"), (r, ct) => Explainers.Get(r, id.ToString(System.Globalization.CultureInfo.InvariantCulture), ct))).AssertStatus(200).Json;

    private async Task<TestResponse> PlotAsync(long id, string? query = null) =>
        await _app.Invoke(_app.Request("GET", query: query), (r, ct) => Explainers.Plot(r, id.ToString(System.Globalization.CultureInfo.InvariantCulture), ct));

    [Fact]
    public async Task EachExplainerRunsAsAJobAndServesItsResultAndPlots()
    {
        var run = await TrainedIrisRunAsync();

        var importance = (await CreateAsync(new { run_id = run, explainer_name = "PermutationFeatureImportance", parameters = new { n_repeats = 3 } })).AssertStatus(201).Json;
        var dependence = (await CreateAsync(new { run_id = run, explainer_name = "PartialDependence", parameters = new { features = new[] { "petal_length", "sepal_width" } } })).AssertStatus(201).Json;
        var contributions = (await CreateAsync(new
        {
            run_id = run,
            explainer_name = "FeatureContributions",
            parameters = new { rows = new object[] { new { sepal_length = 5.1, sepal_width = 3.5, petal_length = 1.4, petal_width = 0.2 }, new { petal_length = 5.5, petal_width = 2.1 } } },
        })).AssertStatus(201).Json;

        // Stored as validated, defaults filled; queued as type-2 jobs that name the explainer.
        Assert.Equal((int)ExplainerStatus.Queued, importance["status"]!.GetValue<int>());
        Assert.Equal("""{"split":"test","scoring":"accuracy","n_repeats":3,"max_samples":10000,"seed":0}""", importance["parameters"]!.ToJsonString());
        Assert.Equal("global", importance["scope"]!.GetValue<string>());
        Assert.Equal("local", contributions["scope"]!.GetValue<string>());
        var job = await _app.Stores.Jobs.GetAsync(importance["job_id"]!.GetValue<long>(), default);
        Assert.Equal((JobTypes.Explain, run, importance["id"]!.GetValue<long>()), (job.Type, job.RunId, job.TargetId!.Value));

        Assert.All(await _host.DrainAsync(), d => Assert.True(d.Succeeded, d.Error?.ToString()));

        var pfi = await GetAsync(importance["id"]!.GetValue<long>());
        Assert.Equal((int)ExplainerStatus.Finished, pfi["status"]!.GetValue<int>());
        Assert.NotNull(pfi["end_time"]);
        var features = pfi["result"]!["features"]!.AsArray().Select(f => f!.GetValue<string>()).ToList();
        Assert.Equal(4, features.Count);
        Assert.StartsWith("petal", features[0], StringComparison.Ordinal);
        Assert.Equal(JobStatus.Succeeded, (await _app.Stores.Jobs.GetAsync(job.Id, default)).Status);
        AssertPng((await PlotAsync(pfi["id"]!.GetValue<long>())).AssertStatus(200));

        var pdp = await GetAsync(dependence["id"]!.GetValue<long>());
        Assert.Equal(["petal_length", "sepal_width"], pdp["result"]!["features"]!.AsArray().Select(f => f!["feature"]!.GetValue<string>()));
        Assert.Equal(3, pdp["result"]!["features"]![0]!["average"]!.AsArray().Count);
        AssertPng((await PlotAsync(pdp["id"]!.GetValue<long>())).AssertStatus(200));

        var local = await GetAsync(contributions["id"]!.GetValue<long>());
        Assert.Equal(2, local["plot_count"]!.GetValue<int>());
        Assert.Equal("setosa", local["result"]!["rows"]![0]!["prediction"]!.GetValue<string>());
        AssertPng((await PlotAsync(local["id"]!.GetValue<long>(), "row=1")).AssertStatus(200));
        (await PlotAsync(local["id"]!.GetValue<long>(), "row=2")).AssertStatus(400);

        var listed = (await _app.Invoke(_app.Request("GET", query: $"run_id={run}"), Explainers.List)).AssertStatus(200).Json.AsArray();
        Assert.Equal(3, listed.Count);
        var page = await _app.Invoke(_app.Request("GET", query: $"run_id={run}&limit=2"), Explainers.List);
        Assert.Equal(2, page.AssertStatus(200).Json.AsArray().Count);
        Assert.Contains("rel=\"next\"", page.Headers.Link.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeletingAnExplainerOrItsRunLeavesNoFilesBehind()
    {
        var run = await TrainedIrisRunAsync();
        var first = (await CreateAsync(new { run_id = run, explainer_name = "PermutationFeatureImportance", parameters = new { n_repeats = 1 } })).AssertStatus(201).Id;
        var second = (await CreateAsync(new { run_id = run, explainer_name = "PermutationFeatureImportance", parameters = new { n_repeats = 1 } })).AssertStatus(201).Id;
        await _host.DrainAsync();
        Assert.NotEmpty(await ExplainerBlobsAsync(first));

        (await _app.Invoke(_app.Request("DELETE"), (r, ct) => Explainers.Delete(r, first.ToString(System.Globalization.CultureInfo.InvariantCulture), ct))).AssertStatus(204);
        Assert.Empty(await ExplainerBlobsAsync(first));
        Assert.Null(await _app.Stores.Explainers.FindAsync(first, default));

        (await _app.Invoke(_app.Request("DELETE"), (r, ct) => _app.Function<RunFunctions>().Delete(r, run.ToString(System.Globalization.CultureInfo.InvariantCulture), ct))).AssertStatus(204);
        Assert.Null(await _app.Stores.Explainers.FindAsync(second, default));
        Assert.Empty(await ExplainerBlobsAsync(second));
    }

    [Fact]
    public async Task ACancelledQueuedExplainerEndsCancelledAndNeverRuns()
    {
        var run = await TrainedIrisRunAsync();
        var created = (await CreateAsync(new { run_id = run, explainer_name = "PartialDependence" })).AssertStatus(201).Json;
        var jobId = created["job_id"]!.GetValue<long>();

        (await _app.Invoke(_app.Request("DELETE"), (r, ct) => _app.Function<JobFunctions>().Cancel(r, jobId.ToString(System.Globalization.CultureInfo.InvariantCulture), ct))).AssertStatus(200);
        await _host.DrainAsync();

        var explainer = await GetAsync(created["id"]!.GetValue<long>());
        Assert.Equal((int)ExplainerStatus.Cancelled, explainer["status"]!.GetValue<int>());
        Assert.Null(explainer["result"]);
        (await PlotAsync(created["id"]!.GetValue<long>())).AssertStatus(404);
    }

    [Fact]
    public async Task AnExplainerWhoseModelIsGoneEndsInErrorWithTheReason()
    {
        var run = await TrainedIrisRunAsync();
        var created = (await CreateAsync(new { run_id = run, explainer_name = "PermutationFeatureImportance" })).AssertStatus(201).Json;
        await _app.Storage.Container(_app.Storage.Names.ModelsContainer).DeleteBlobAsync(RunFiles.ModelBlobName(run));

        var deliveries = await _host.DrainAsync();

        var explainer = await GetAsync(created["id"]!.GetValue<long>());
        Assert.Equal((int)ExplainerStatus.Error, explainer["status"]!.GetValue<int>());
        Assert.Equal($"The model of run {run} is missing; train it again.", explainer["error"]!.GetValue<string>());
        Assert.Single(deliveries);
        Assert.Equal(JobStatus.Failed, (await _app.Stores.Jobs.GetAsync(created["job_id"]!.GetValue<long>(), default)).Status);
    }

    [Fact]
    public async Task InvalidRequestsAreRefusedAndStoreNothing()
    {
        var run = await TrainedIrisRunAsync();
        var unfinished = await Seed.Run(_app, (await _app.Stores.Runs.GetAsync(run, default)).ExperimentId);

        var unknown = (await CreateAsync(new { run_id = run, explainer_name = "Lime" })).AssertStatus(400);
        var badParameters = (await CreateAsync(new { run_id = run, explainer_name = "PartialDependence", parameters = new { features = new[] { "petal_lenght" }, grid_resolution = 1 } })).AssertStatus(400);
        var missingRows = (await CreateAsync(new { run_id = run, explainer_name = "FeatureContributions" })).AssertStatus(400);
        (await CreateAsync(new { run_id = 999_999, explainer_name = "PartialDependence" })).AssertStatus(404);
        (await CreateAsync(new { run_id = unfinished.Id, explainer_name = "PartialDependence" })).AssertStatus(409);
        (await CreateAsync(new { run_id = run, explainer_name = "PartialDependence", parameter = new { } })).AssertStatus(400);

        Assert.Contains("PermutationFeatureImportance", unknown.Body, StringComparison.Ordinal);
        var errors = badParameters.Json["errors"]!.AsArray().Select(e => e!.GetValue<string>()).ToList();
        Assert.Contains(errors, e => e.StartsWith("Parameter 'grid_resolution' must be at least 2", StringComparison.Ordinal));
        Assert.Contains("required", missingRows.Body, StringComparison.Ordinal);
        Assert.Empty(await _app.Stores.Explainers.ListAsync(null, default));
        Assert.Equal(0, await _host.CountAsync(_host.Queue));
    }

    private async Task<List<string>> ExplainerBlobsAsync(long id)
    {
        var names = new List<string>();
        await foreach (var blob in _app.Storage.Container(_app.Storage.Names.ArtifactsContainer).GetBlobsAsync(
            Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, ExplainerEntity.FilesPrefix(id), default))
        {
            names.Add(blob.Name);
        }

        return names;
    }

    internal static void AssertPng(TestResponse response)
    {
        Assert.Equal("image/png", response.ContentType);
        response.RawBody.Position = 0;
        using var copy = new MemoryStream();
        response.RawBody.CopyTo(copy);
        var png = copy.ToArray();
        Assert.Equal([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], png[..8]);
        Assert.Equal(1200, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)));
        Assert.Equal(800, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
    }
}

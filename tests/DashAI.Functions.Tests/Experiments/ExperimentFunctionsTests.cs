using DashAI.Functions.Experiments;
using DashAI.Functions.Runs;
using DashAI.Functions.Tests.Infrastructure;

namespace DashAI.Functions.Tests.Experiments;

public sealed class ExperimentFunctionsTests : IAsyncLifetime
{
    private readonly TestApp _app = TestApp.Create();
    private ExperimentFunctions _functions = null!;

    public Task InitializeAsync()
    {
        _functions = _app.Function<ExperimentFunctions>();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task CreateWithTheThesisQueryFormReturnsCreated()
    {
        var dataset = await Seed.Dataset(_app);

        var response = await _app.Invoke(
            _app.Request("POST", query: $"dataset_id={dataset.Id}&task_name=TabularClassificationTask&name=A"), _functions.Create);

        response.AssertStatus(201);
        Assert.Equal(dataset.Id, response.Json["dataset_id"]!.GetValue<long>());
        Assert.Equal("A", response.Json["name"]!.GetValue<string>());
        Assert.Equal("TabularClassificationTask", response.Json["task_name"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(response.ETag));
        Assert.Equal($"/api/v1/experiment/{response.Id}", response.Headers.Location.ToString());
    }

    [Fact]
    public async Task CreateWithAJsonBodyReturnsCreated()
    {
        var dataset = await Seed.Dataset(_app);

        var response = await _app.Invoke(
            _app.Request("POST", json: new { dataset_id = dataset.Id, task_name = "TabularClassificationTask", name = "B" }), _functions.Create);

        response.AssertStatus(201);
        var stored = await _app.Stores.Experiments.GetAsync(response.Id, default);
        Assert.Equal("B", stored.Name);
    }

    [Theory]
    [InlineData("dataset_id=abc&task_name=TabularClassificationTask&name=A", "'dataset_id' must be an integer")]
    [InlineData("task_name=TabularClassificationTask&name=A", "'dataset_id' is required")]
    [InlineData("dataset_id=1&name=A", "'task_name' is required")]
    [InlineData("dataset_id=1&task_name=TabularClassificationTask", "'name' is required")]
    public async Task CreateWithBadOrMissingFieldsIsABadRequest(string query, string detail)
    {
        var response = await _app.Invoke(_app.Request("POST", query: query), _functions.Create);
        response.AssertProblem(400, detail);
    }

    [Fact]
    public async Task CreateWithAWrongJsonTypeIsABadRequest()
    {
        var response = await _app.Invoke(
            _app.Request("POST", json: new { dataset_id = "one", task_name = "TabularClassificationTask", name = "A" }), _functions.Create);
        response.AssertProblem(400, "'dataset_id' must be an integer");
    }

    [Fact]
    public async Task CreateWithANonObjectBodyIsUnsupportedWhenNotJson()
    {
        var response = await _app.Invoke(_app.Request("POST", body: "name=A", contentType: "text/plain"), _functions.Create);
        response.AssertProblem(415);
    }

    [Fact]
    public async Task CreateForAnUnknownDatasetIsNotFound()
    {
        var response = await _app.Invoke(
            _app.Request("POST", query: "dataset_id=98765&task_name=TabularClassificationTask&name=A"), _functions.Create);
        response.AssertProblem(404, "Dataset not found");
    }

    [Fact]
    public async Task CreateWithADuplicateNameIsAConflict()
    {
        var existing = await Seed.Experiment(_app, name: "dup");

        var response = await _app.Invoke(
            _app.Request("POST", query: $"dataset_id={existing.DatasetId}&task_name=TabularClassificationTask&name=dup"), _functions.Create);

        response.AssertProblem(409, "dup");
        Assert.Single(await _app.Stores.Experiments.ListAsync(null, default));
    }

    [Fact]
    public async Task ConcurrentCreatesWithOneNameExactlyOneWins()
    {
        var dataset = await Seed.Dataset(_app);

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => _app.Invoke(
            _app.Request("POST", json: new { dataset_id = dataset.Id, task_name = "TabularClassificationTask", name = "race" }), _functions.Create)));

        Assert.Single(responses, r => r.Status == 201);
        Assert.All(responses.Where(r => r.Status != 201), r => r.AssertProblem(409));
        Assert.Single(await _app.Stores.Experiments.ListAsync(null, default));
    }

    [Fact]
    public async Task ParallelCreatesGetDistinctIds()
    {
        var dataset = await Seed.Dataset(_app);

        var responses = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => _app.Invoke(
            _app.Request("POST", json: new { dataset_id = dataset.Id, task_name = "TabularClassificationTask", name = $"p{i}" }), _functions.Create)));

        Assert.All(responses, r => r.AssertStatus(201));
        Assert.Equal(12, responses.Select(r => r.Id).Distinct().Count());
        var listed = await _app.Invoke(_app.Request("GET"), _functions.List);
        var ids = listed.Json.AsArray().Select(e => e!["id"]!.GetValue<long>()).ToList();
        Assert.Equal(ids.Order().ToList(), ids);
        Assert.Equal(12, ids.Count);
    }

    [Fact]
    public async Task GetReturnsTheExperimentOrNotFound()
    {
        var experiment = await Seed.Experiment(_app, name: "get-me");

        var found = await _app.Invoke(_app.Request("GET"), (r, ct) => _functions.Get(r, experiment.Id.ToString(), ct));
        var missing = await _app.Invoke(_app.Request("GET"), (r, ct) => _functions.Get(r, "55555", ct));

        found.AssertStatus(200);
        Assert.Equal("get-me", found.Json["name"]!.GetValue<string>());
        missing.AssertProblem(404, "Experiment not found");
    }

    [Fact]
    public async Task PatchRenamesAndChangesTheDataset()
    {
        var experiment = await Seed.Experiment(_app);
        var other = await Seed.Dataset(_app);

        var response = await _app.Invoke(
            _app.Request("PATCH", query: $"name=renamed&dataset_id={other.Id}"), (r, ct) => _functions.Update(r, experiment.Id.ToString(), ct));

        response.AssertStatus(200);
        Assert.Equal("renamed", response.Json["name"]!.GetValue<string>());
        Assert.Equal(other.Id, response.Json["dataset_id"]!.GetValue<long>());
    }

    [Fact]
    public async Task PatchWithNothingToChangeIsABadRequestAndUnknownIsNotFound()
    {
        var experiment = await Seed.Experiment(_app);

        var empty = await _app.Invoke(_app.Request("PATCH", json: new { }), (r, ct) => _functions.Update(r, experiment.Id.ToString(), ct));
        var unknown = await _app.Invoke(_app.Request("PATCH", query: "name=z"), (r, ct) => _functions.Update(r, "31337", ct));

        empty.AssertProblem(400, "Nothing to change");
        unknown.AssertProblem(404, "Experiment not found");
    }

    [Fact]
    public async Task PatchWithAStaleIfMatchIsPreconditionFailed()
    {
        var experiment = await Seed.Experiment(_app);
        var etag = (await _app.Invoke(_app.Request("GET"), (r, ct) => _functions.Get(r, experiment.Id.ToString(), ct))).ETag!;
        var headers = new Dictionary<string, string> { ["If-Match"] = etag };

        var first = await _app.Invoke(_app.Request("PATCH", query: "name=n1", headers: headers), (r, ct) => _functions.Update(r, experiment.Id.ToString(), ct));
        var second = await _app.Invoke(_app.Request("PATCH", query: "name=n2", headers: headers), (r, ct) => _functions.Update(r, experiment.Id.ToString(), ct));

        first.AssertStatus(200);
        second.AssertProblem(412);
        Assert.Equal("n1", (await _app.Stores.Experiments.GetAsync(experiment.Id, default)).Name);
    }

    [Fact]
    public async Task DeleteRemovesItsRunsAndTheirModelBlobs()
    {
        var experiment = await Seed.Experiment(_app);
        var run = await Seed.Run(_app, experiment.Id, RunStatus.Finished);
        var models = _app.Storage.Container(_app.Storage.Names.ModelsContainer);
        await models.UploadBlobAsync($"{run.Id}/model.zip", BinaryData.FromString("zip"));

        var response = await _app.Invoke(_app.Request("DELETE"), (r, ct) => _functions.Delete(r, experiment.Id.ToString(), ct));

        response.AssertStatus(204);
        Assert.Null(await _app.Stores.Experiments.FindAsync(experiment.Id, default));
        Assert.Null(await _app.Stores.Runs.FindAsync(run.Id, default));
        Assert.False((await models.GetBlobClient($"{run.Id}/model.zip").ExistsAsync()).Value);
    }

    [Theory]
    [InlineData(RunStatus.Delivered)]
    [InlineData(RunStatus.Started)]
    public async Task DeleteIsAConflictWhileARunIsQueuedOrTraining(RunStatus status)
    {
        var experiment = await Seed.Experiment(_app);
        var run = await Seed.Run(_app, experiment.Id, status);

        var response = await _app.Invoke(_app.Request("DELETE"), (r, ct) => _functions.Delete(r, experiment.Id.ToString(), ct));

        response.AssertProblem(409, $"Run {run.Id}");
        Assert.NotNull(await _app.Stores.Experiments.FindAsync(experiment.Id, default));
        Assert.NotNull(await _app.Stores.Runs.FindAsync(run.Id, default));
    }

    [Fact]
    public async Task DeleteOfAnUnknownExperimentIsNotFound()
    {
        var response = await _app.Invoke(_app.Request("DELETE"), (r, ct) => _functions.Delete(r, "4444", ct));
        response.AssertProblem(404, "Experiment not found");
    }
}

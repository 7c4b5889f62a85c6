using System.Text.Json.Nodes;
using Azure.Storage.Blobs.Models;
using DashAI.Functions.Experiments;
using DashAI.Functions.Runs;
using DashAI.Functions.Tests.Infrastructure;

namespace DashAI.Functions.Tests.Runs;

public sealed class RunFunctionsTests : IAsyncLifetime
{
    private readonly TestApp _app = TestApp.Create();
    private RunFunctions _functions = null!;

    public Task InitializeAsync()
    {
        _functions = _app.Function<RunFunctions>();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task CreateWithTheThesisFormTakesFieldsFromTheQueryAndParametersFromTheBody()
    {
        var experiment = await Seed.Experiment(_app);

        var response = await _app.Invoke(
            _app.Request("POST", query: $"experiment_id={experiment.Id}&model_name=LogisticRegression&name=R&description=D", json: new { maximum_number_of_iterations = 50 }),
            _functions.Create);

        response.AssertStatus(201);
        var json = response.Json;
        Assert.Equal(experiment.Id, json["experiment_id"]!.GetValue<long>());
        Assert.Equal("LogisticRegression", json["model_name"]!.GetValue<string>());
        Assert.Equal("R", json["name"]!.GetValue<string>());
        Assert.Equal("D", json["description"]!.GetValue<string>());
        Assert.Equal(50, json["parameters"]!["maximum_number_of_iterations"]!.GetValue<int>());
        Assert.Equal(0, json["status"]!.GetValue<int>());
        Assert.Null(json["train_metrics"]);
        Assert.Null(json["delivery_time"]);
        Assert.True(json.AsObject().ContainsKey("run_path"));
    }

    [Fact]
    public async Task CreateWithAJsonBodyTakesParametersFromItsParametersField()
    {
        var experiment = await Seed.Experiment(_app);

        var response = await _app.Invoke(
            _app.Request("POST", json: new { experiment_id = experiment.Id, model_name = "LogisticRegression", name = "R2", parameters = new { l2_regularization = 0.5 } }),
            _functions.Create);

        response.AssertStatus(201);
        Assert.Equal(0.5, response.Json["parameters"]!["l2_regularization"]!.GetValue<double>());
    }

    [Theory]
    [InlineData("experiment_id=x&model_name=M&name=R", "'experiment_id' must be an integer")]
    [InlineData("experiment_id=1&name=R", "'model_name' is required")]
    [InlineData("experiment_id=1&model_name=M", "'name' is required")]
    public async Task CreateWithBadFieldsIsABadRequest(string query, string detail)
    {
        var response = await _app.Invoke(_app.Request("POST", query: query), _functions.Create);
        response.AssertProblem(400, detail);
    }

    [Fact]
    public async Task CreateWithParametersThatAreNotAnObjectIsABadRequest()
    {
        var experiment = await Seed.Experiment(_app);
        var response = await _app.Invoke(
            _app.Request("POST", json: new { experiment_id = experiment.Id, model_name = "LogisticRegression", name = "R", parameters = new[] { 1, 2 } }),
            _functions.Create);
        response.AssertProblem(400, "'parameters' must be a JSON object");
    }

    [Fact]
    public async Task CreateForAnUnknownExperimentIsNotFound()
    {
        var response = await _app.Invoke(_app.Request("POST", query: "experiment_id=123456&model_name=LogisticRegression&name=R"), _functions.Create);
        response.AssertProblem(404, "Experiment not found");
    }

    [Fact]
    public async Task ParametersLargerThanATablePropertyAreStoredInABlobAndReadBackWhole()
    {
        var experiment = await Seed.Experiment(_app);
        var big = new JsonObject();
        for (var i = 0; i < 3000; i++)
        {
            big[$"feature_weight_{i:D5}"] = $"value-{i}-" + new string('x', 40);
        }

        Assert.True(big.ToJsonString().Length > 64 * 1024);

        // No model's schema takes such an object, so it goes in through the storage layer, as a future model's would.
        var run = await _app.Stores.Runs.CreateAsync(
            new RunEntity { ExperimentId = experiment.Id, ModelName = "LogisticRegression", Name = "big", Parameters = big.ToJsonString() }, default);
        var read = await _app.Invoke(_app.Request("GET"), (r, ct) => _functions.Get(r, run.Id.ToString(), ct));
        var renamed = await _app.Invoke(_app.Request("PATCH", query: "run_name=still-big"), (r, ct) => _functions.Update(r, run.Id.ToString(), ct));
        var listed = await _app.Invoke(_app.Request("GET"), _functions.List);

        read.AssertStatus(200);
        Assert.True(JsonNode.DeepEquals(big, read.Json["parameters"]));
        renamed.AssertStatus(200);
        Assert.True(JsonNode.DeepEquals(big, renamed.Json["parameters"]));
        Assert.True(JsonNode.DeepEquals(big, listed.Json.AsArray().Single()!["parameters"]));
        var raw = await _app.Storage.Table(_app.Storage.Names.RunsTable)
            .GetEntityAsync<Azure.Data.Tables.TableEntity>("default", DashAI.Functions.Storage.EntityBase.RowKeyFor(run.Id));
        Assert.StartsWith("@blob:", raw.Value.GetString("Parameters"));
    }

    [Fact]
    public async Task ListFiltersByExperimentAndIsEmptyForAnExperimentWithoutRuns()
    {
        var one = await Seed.Experiment(_app);
        var two = await Seed.Experiment(_app);
        var empty = await Seed.Experiment(_app);
        var r1 = await Seed.Run(_app, one.Id);
        var r2 = await Seed.Run(_app, two.Id);
        var r3 = await Seed.Run(_app, one.Id);

        var all = await _app.Invoke(_app.Request("GET"), _functions.List);
        var ofOne = await _app.Invoke(_app.Request("GET", query: $"experiment_id={one.Id}"), _functions.List);
        var ofEmpty = await _app.Invoke(_app.Request("GET", query: $"experiment_id={empty.Id}"), _functions.List);

        Assert.Equal([r1.Id, r2.Id, r3.Id], all.Json.AsArray().Select(r => r!["id"]!.GetValue<long>()));
        Assert.Equal([r1.Id, r3.Id], ofOne.Json.AsArray().Select(r => r!["id"]!.GetValue<long>()));
        ofEmpty.AssertStatus(200);
        Assert.Empty(ofEmpty.Json.AsArray());
    }

    [Fact]
    public async Task ListForAnUnknownExperimentIsNotFoundAndABadIdIsABadRequest()
    {
        var unknown = await _app.Invoke(_app.Request("GET", query: "experiment_id=999999"), _functions.List);
        var bad = await _app.Invoke(_app.Request("GET", query: "experiment_id=abc"), _functions.List);

        unknown.AssertProblem(404, "Experiment not found");
        bad.AssertProblem(400, "'experiment_id' must be an integer");
    }

    [Fact]
    public async Task GetOfAnUnknownRunIsNotFound()
    {
        var response = await _app.Invoke(_app.Request("GET"), (r, ct) => _functions.Get(r, "9999", ct));
        response.AssertProblem(404, "Run not found");
    }

    [Fact]
    public async Task PatchChangesNameDescriptionAndParameters()
    {
        var experiment = await Seed.Experiment(_app);
        var run = await Seed.Run(_app, experiment.Id);

        var thesis = await _app.Invoke(
            _app.Request("PATCH", query: "run_name=new&run_description=desc"), (r, ct) => _functions.Update(r, run.Id.ToString(), ct));
        var json = await _app.Invoke(
            _app.Request("PATCH", json: new { parameters = new { l2_regularization = 2.0 } }), (r, ct) => _functions.Update(r, run.Id.ToString(), ct));

        thesis.AssertStatus(200);
        Assert.Equal("new", thesis.Json["name"]!.GetValue<string>());
        Assert.Equal("desc", thesis.Json["description"]!.GetValue<string>());
        json.AssertStatus(200);
        Assert.Equal(2.0, json.Json["parameters"]!["l2_regularization"]!.GetValue<double>());
        Assert.Equal("new", json.Json["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task PatchWithNothingToChangeIsABadRequest()
    {
        var experiment = await Seed.Experiment(_app);
        var run = await Seed.Run(_app, experiment.Id);
        var response = await _app.Invoke(_app.Request("PATCH"), (r, ct) => _functions.Update(r, run.Id.ToString(), ct));
        response.AssertProblem(400, "Nothing to change");
    }

    [Fact]
    public async Task PatchWithAStaleIfMatchIsPreconditionFailed()
    {
        var experiment = await Seed.Experiment(_app);
        var run = await Seed.Run(_app, experiment.Id);
        var headers = new Dictionary<string, string> { ["If-Match"] = run.ETag.ToString("H") };

        var first = await _app.Invoke(_app.Request("PATCH", query: "run_name=a", headers: headers), (r, ct) => _functions.Update(r, run.Id.ToString(), ct));
        var second = await _app.Invoke(_app.Request("PATCH", query: "run_name=b", headers: headers), (r, ct) => _functions.Update(r, run.Id.ToString(), ct));

        first.AssertStatus(200);
        second.AssertProblem(412);
    }

    [Fact]
    public async Task DeleteRemovesTheRunAndItsModelBlob()
    {
        var experiment = await Seed.Experiment(_app);
        var run = await Seed.Run(_app, experiment.Id, RunStatus.Finished);
        var keep = await Seed.Run(_app, experiment.Id, RunStatus.Finished);
        var models = _app.Storage.Container(_app.Storage.Names.ModelsContainer);
        await models.UploadBlobAsync($"{run.Id}/model.zip", BinaryData.FromString("zip"));
        await models.UploadBlobAsync($"{keep.Id}/model.zip", BinaryData.FromString("zip"));

        var response = await _app.Invoke(_app.Request("DELETE"), (r, ct) => _functions.Delete(r, run.Id.ToString(), ct));

        response.AssertStatus(204);
        Assert.Null(await _app.Stores.Runs.FindAsync(run.Id, default));
        Assert.False((await models.GetBlobClient($"{run.Id}/model.zip").ExistsAsync()).Value);
        Assert.True((await models.GetBlobClient($"{keep.Id}/model.zip").ExistsAsync()).Value);
    }

    private async Task<RunEntity> FinishedRunWithFiles(long experimentId)
    {
        var run = await Seed.Run(_app, experimentId, RunStatus.Finished);
        await _app.Storage.Container(_app.Storage.Names.ModelsContainer).UploadBlobAsync($"{run.Id}/model.zip", BinaryData.FromString("zip"));
        await _app.Storage.Container(_app.Storage.Names.ArtifactsContainer).UploadBlobAsync($"{run.Id}/artifacts.json", BinaryData.FromString("{}"));
        await _app.Storage.Container(_app.Storage.Names.ArtifactsContainer).UploadBlobAsync($"{run.Id}/plots/confusion.json", BinaryData.FromString("[]"));
        Assert.Equal(3, (await _app.RunBlobsAsync(run.Id)).Count);
        return run;
    }

    [Fact]
    public async Task PatchingTheParametersOfAFinishedRunDeletesItsModelAndArtifacts()
    {
        var experiment = await Seed.Experiment(_app);
        var run = await FinishedRunWithFiles(experiment.Id);
        var other = await FinishedRunWithFiles(experiment.Id);

        var response = await _app.Invoke(
            _app.Request("PATCH", json: new { parameters = new { l2_regularization = 2.0 } }), (r, ct) => _functions.Update(r, run.Id.ToString(), ct));

        response.AssertStatus(200);
        Assert.Equal((int)RunStatus.NotStarted, response.Json["status"]!.GetValue<int>());
        Assert.Empty(await _app.RunBlobsAsync(run.Id));
        Assert.Equal(3, (await _app.RunBlobsAsync(other.Id)).Count);
        var model = await _app.Invoke(_app.Request("GET"), (r, ct) => _functions.GetModel(r, run.Id.ToString(), ct));
        model.AssertProblem(404);
    }

    [Fact]
    public async Task APatchWithAStaleIfMatchLeavesTheModelAndArtifacts()
    {
        var experiment = await Seed.Experiment(_app);
        var run = await FinishedRunWithFiles(experiment.Id);
        var stale = new Dictionary<string, string> { ["If-Match"] = run.ETag.ToString("H") };
        await _app.Stores.Runs.ChangeAsync(run.Id, r => { r.Description = "changed elsewhere"; return true; }, default);

        var response = await _app.Invoke(
            _app.Request("PATCH", json: new { parameters = new { l2_regularization = 2.0 } }, headers: stale), (r, ct) => _functions.Update(r, run.Id.ToString(), ct));

        response.AssertProblem(412);
        Assert.Equal(3, (await _app.RunBlobsAsync(run.Id)).Count);
        Assert.Equal(RunStatus.Finished, (await _app.Stores.Runs.GetAsync(run.Id, default)).RunStatus);
    }

    [Fact]
    public async Task RenamingAFinishedRunKeepsItsModelAndArtifacts()
    {
        var experiment = await Seed.Experiment(_app);
        var run = await FinishedRunWithFiles(experiment.Id);

        var response = await _app.Invoke(
            _app.Request("PATCH", json: new { run_name = "renamed", run_description = "same parameters" }), (r, ct) => _functions.Update(r, run.Id.ToString(), ct));

        response.AssertStatus(200);
        Assert.Equal((int)RunStatus.Finished, response.Json["status"]!.GetValue<int>());
        Assert.Equal(3, (await _app.RunBlobsAsync(run.Id)).Count);
    }

    [Fact]
    public async Task DeletingAnExperimentDeletesTheModelsAndArtifactsOfItsRuns()
    {
        var experiment = await Seed.Experiment(_app);
        var run = await FinishedRunWithFiles(experiment.Id);
        var elsewhere = await FinishedRunWithFiles((await Seed.Experiment(_app)).Id);

        var response = await _app.Invoke(
            _app.Request("DELETE"), (r, ct) => _app.Function<ExperimentFunctions>().Delete(r, experiment.Id.ToString(), ct));

        response.AssertStatus(204);
        Assert.Null(await _app.Stores.Runs.FindAsync(run.Id, default));
        Assert.Empty(await _app.RunBlobsAsync(run.Id));
        Assert.Equal(3, (await _app.RunBlobsAsync(elsewhere.Id)).Count);
    }

    [Fact]
    public async Task DeleteOfAnUnknownRunIsNotFound()
    {
        var response = await _app.Invoke(_app.Request("DELETE"), (r, ct) => _functions.Delete(r, "8888", ct));
        response.AssertProblem(404, "Run not found");
    }
}

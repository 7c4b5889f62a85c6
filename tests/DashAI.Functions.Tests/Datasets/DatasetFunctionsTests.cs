using Azure.Storage.Blobs;
using DashAI.Functions.Datasets;
using DashAI.Functions.Tests.Infrastructure;

namespace DashAI.Functions.Tests.Datasets;

public sealed class DatasetFunctionsTests : IAsyncLifetime
{
    private readonly TestApp _app = TestApp.Create();
    private DatasetFunctions _functions = null!;

    public Task InitializeAsync()
    {
        _functions = _app.Function<DatasetFunctions>();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task ListReturnsDatasetsInIdOrderAsSnakeCaseJson()
    {
        var a = await Seed.Dataset(_app, "alpha");
        var b = await Seed.Dataset(_app, "beta");

        var response = await _app.Invoke(_app.Request("GET"), _functions.List);

        response.AssertStatus(200);
        var items = response.Json.AsArray();
        Assert.Equal([a.Id, b.Id], items.Select(i => i!["id"]!.GetValue<long>()));
        Assert.Equal("alpha", items[0]!["name"]!.GetValue<string>());
        Assert.Equal("TabularClassificationTask", items[0]!["task_name"]!.GetValue<string>());
        Assert.EndsWith("Z", items[0]!["created"]!.GetValue<string>());
        Assert.NotNull(items[0]!["last_modified"]);
        Assert.NotNull(items[0]!["file_path"]);
    }

    [Fact]
    public async Task ListIsEmptyArrayWhenThereAreNoDatasets()
    {
        var response = await _app.Invoke(_app.Request("GET"), _functions.List);
        response.AssertStatus(200);
        Assert.Empty(response.Json.AsArray());
    }

    [Fact]
    public async Task GetReturnsTheDatasetWithAnETag()
    {
        var dataset = await Seed.Dataset(_app, "iris");

        var response = await _app.Invoke(_app.Request("GET"), (r, ct) => _functions.Get(r, dataset.Id.ToString(), ct));

        response.AssertStatus(200);
        Assert.Equal("iris", response.Json["name"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(response.ETag));
    }

    [Fact]
    public async Task GetReturnsNotFoundProblemForAnUnknownId()
    {
        var response = await _app.Invoke(_app.Request("GET"), (r, ct) => _functions.Get(r, "999999", ct));
        response.AssertProblem(404, "Dataset not found");
    }

    [Fact]
    public async Task GetReturnsBadRequestForANonNumericId()
    {
        var response = await _app.Invoke(_app.Request("GET"), (r, ct) => _functions.Get(r, "abc", ct));
        response.AssertProblem(400, "integer");
    }

    [Fact]
    public async Task PatchRenamesWithTheThesisQueryForm()
    {
        var dataset = await Seed.Dataset(_app, "old");

        var response = await _app.Invoke(_app.Request("PATCH", query: "name=x"), (r, ct) => _functions.Update(r, dataset.Id.ToString(), ct));

        response.AssertStatus(200);
        Assert.Equal("x", response.Json["name"]!.GetValue<string>());
        Assert.Equal("x", (await _app.Stores.Datasets.GetAsync(dataset.Id, default)).Name);
    }

    [Fact]
    public async Task PatchChangesTaskNameWithAJsonBodyAndMovesLastModified()
    {
        var dataset = await Seed.Dataset(_app);

        var response = await _app.Invoke(_app.Request("PATCH", json: new { task_name = "RegressionTask" }), (r, ct) => _functions.Update(r, dataset.Id.ToString(), ct));

        response.AssertStatus(200);
        Assert.Equal("RegressionTask", response.Json["task_name"]!.GetValue<string>());
        Assert.True(response.Json["last_modified"]!.GetValue<DateTime>() > dataset.Created.UtcDateTime);
    }

    [Fact]
    public async Task PatchWithAnUnknownTaskNameIsABadRequestAndChangesNothing()
    {
        var dataset = await Seed.Dataset(_app);

        var response = await _app.Invoke(_app.Request("PATCH", json: new { task_name = "NoSuchTask" }), (r, ct) => _functions.Update(r, dataset.Id.ToString(), ct));

        response.AssertProblem(400, "Unknown task 'NoSuchTask'");
        Assert.Equal(dataset.TaskName, (await _app.Stores.Datasets.GetAsync(dataset.Id, default)).TaskName);
    }

    [Fact]
    public async Task PatchWithNothingToChangeIsABadRequest()
    {
        var dataset = await Seed.Dataset(_app);
        var response = await _app.Invoke(_app.Request("PATCH"), (r, ct) => _functions.Update(r, dataset.Id.ToString(), ct));
        response.AssertProblem(400, "Nothing to change");
    }

    [Fact]
    public async Task PatchWithMalformedJsonIsABadRequest()
    {
        var dataset = await Seed.Dataset(_app);
        var response = await _app.Invoke(_app.Request("PATCH", body: "{\"name\": "), (r, ct) => _functions.Update(r, dataset.Id.ToString(), ct));
        response.AssertProblem(400, "not valid JSON");
    }

    [Fact]
    public async Task PatchWithAWrongTypeIsABadRequest()
    {
        var dataset = await Seed.Dataset(_app);
        var response = await _app.Invoke(_app.Request("PATCH", json: new { name = 5 }), (r, ct) => _functions.Update(r, dataset.Id.ToString(), ct));
        response.AssertProblem(400, "'name' must be a string");
    }

    [Fact]
    public async Task PatchToANameInUseIsAConflictAndChangesNothing()
    {
        await Seed.Dataset(_app, "taken");
        var dataset = await Seed.Dataset(_app, "mine");

        var response = await _app.Invoke(_app.Request("PATCH", query: "name=taken"), (r, ct) => _functions.Update(r, dataset.Id.ToString(), ct));

        response.AssertProblem(409, "taken");
        Assert.Equal("mine", (await _app.Stores.Datasets.GetAsync(dataset.Id, default)).Name);
    }

    [Fact]
    public async Task RenamingFreesTheOldName()
    {
        var dataset = await Seed.Dataset(_app, "first");
        await _app.Invoke(_app.Request("PATCH", query: "name=second"), (r, ct) => _functions.Update(r, dataset.Id.ToString(), ct));

        var reused = await Seed.Dataset(_app, "first");

        Assert.NotEqual(dataset.Id, reused.Id);
    }

    [Fact]
    public async Task PatchOfAnUnknownDatasetIsNotFound()
    {
        var response = await _app.Invoke(_app.Request("PATCH", query: "name=x"), (r, ct) => _functions.Update(r, "424242", ct));
        response.AssertProblem(404, "Dataset not found");
    }

    [Fact]
    public async Task TwoPatchesFromTheSameReadOneSucceedsTheOtherGetsPreconditionFailed()
    {
        var dataset = await Seed.Dataset(_app);
        var read = await _app.Invoke(_app.Request("GET"), (r, ct) => _functions.Get(r, dataset.Id.ToString(), ct));
        var etag = read.ETag!;

        var first = await _app.Invoke(
            _app.Request("PATCH", query: "name=one", headers: new Dictionary<string, string> { ["If-Match"] = etag }),
            (r, ct) => _functions.Update(r, dataset.Id.ToString(), ct));
        var second = await _app.Invoke(
            _app.Request("PATCH", query: "name=two", headers: new Dictionary<string, string> { ["If-Match"] = etag }),
            (r, ct) => _functions.Update(r, dataset.Id.ToString(), ct));

        first.AssertStatus(200);
        second.AssertProblem(412);
        Assert.Equal("one", (await _app.Stores.Datasets.GetAsync(dataset.Id, default)).Name);
        Assert.NotEqual(etag, first.ETag);
    }

    [Fact]
    public async Task DeleteWithAStaleIfMatchIsPreconditionFailed()
    {
        var dataset = await Seed.Dataset(_app);
        var stale = (await _app.Invoke(_app.Request("GET"), (r, ct) => _functions.Get(r, dataset.Id.ToString(), ct))).ETag!;
        await _app.Invoke(_app.Request("PATCH", query: "name=changed"), (r, ct) => _functions.Update(r, dataset.Id.ToString(), ct));

        var response = await _app.Invoke(
            _app.Request("DELETE", headers: new Dictionary<string, string> { ["If-Match"] = stale }),
            (r, ct) => _functions.Delete(r, dataset.Id.ToString(), ct));

        response.AssertProblem(412);
        Assert.NotNull(await _app.Stores.Datasets.FindAsync(dataset.Id, default));
    }

    [Fact]
    public async Task DeleteRemovesTheEntityAndEveryBlobUnderTheDataset()
    {
        var dataset = await Seed.Dataset(_app, "to-delete");
        var container = _app.Storage.Container(_app.Storage.Names.DatasetsContainer);
        await container.UploadBlobAsync($"{dataset.Id}/original/data.csv", BinaryData.FromString("a,b\n1,2\n"));
        await container.UploadBlobAsync($"{dataset.Id}/splits/train.csv", BinaryData.FromString("a,b\n1,2\n"));
        var other = await Seed.Dataset(_app);
        await container.UploadBlobAsync($"{other.Id}/original/data.csv", BinaryData.FromString("x\n"));

        var response = await _app.Invoke(_app.Request("DELETE"), (r, ct) => _functions.Delete(r, dataset.Id.ToString(), ct));

        response.AssertStatus(204);
        Assert.Null(await _app.Stores.Datasets.FindAsync(dataset.Id, default));
        Assert.Empty(await ListBlobs(container, $"{dataset.Id}/"));
        Assert.Single(await ListBlobs(container, $"{other.Id}/"));
        await Seed.Dataset(_app, "to-delete");
    }

    [Fact]
    public async Task DeleteIsAConflictWhileAnExperimentUsesTheDataset()
    {
        var dataset = await Seed.Dataset(_app);
        await Seed.Experiment(_app, dataset.Id);

        var response = await _app.Invoke(_app.Request("DELETE"), (r, ct) => _functions.Delete(r, dataset.Id.ToString(), ct));

        response.AssertProblem(409, "experiment");
        Assert.NotNull(await _app.Stores.Datasets.FindAsync(dataset.Id, default));
    }

    [Fact]
    public async Task DeleteOfAnUnknownDatasetIsNotFound()
    {
        var response = await _app.Invoke(_app.Request("DELETE"), (r, ct) => _functions.Delete(r, "77777", ct));
        response.AssertProblem(404, "Dataset not found");
    }

    private static async Task<List<string>> ListBlobs(BlobContainerClient container, string prefix)
    {
        var names = new List<string>();
        await foreach (var blob in container.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, prefix, default))
        {
            names.Add(blob.Name);
        }

        return names;
    }
}

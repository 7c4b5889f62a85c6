using System.Text;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs.Models;
using DashAI.Functions.Datasets;
using DashAI.Functions.Experiments;
using DashAI.Functions.Jobs;
using DashAI.Functions.Runs;
using DashAI.Functions.Tests.Infrastructure;

namespace DashAI.Functions.Tests.Http;

/// <summary>
/// Bodies and headers a careless or hostile client sends: unknown fields, keys given twice, malformed If-Match,
/// a multipart body without its boundary. Each is a 400 (or 412) that says what is wrong, and nothing is stored.
/// </summary>
public sealed class StrictInputTests : IAsyncLifetime
{
    private readonly TestApp _app = TestApp.Create();
    private ExperimentFunctions _experiments = null!;
    private RunFunctions _runs = null!;
    private DatasetFunctions _datasets = null!;
    private DatasetUploadFunction _upload = null!;
    private JobFunctions _jobs = null!;

    public Task InitializeAsync()
    {
        _experiments = _app.Function<ExperimentFunctions>();
        _runs = _app.Function<RunFunctions>();
        _datasets = _app.Function<DatasetFunctions>();
        _upload = _app.Function<DatasetUploadFunction>();
        _jobs = _app.Function<JobFunctions>();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private static HttpRequestBody Json(string text) => new(text);

    private Microsoft.AspNetCore.Http.HttpRequest Request(string method, HttpRequestBody? body = null, string? query = null, IDictionary<string, string>? headers = null) =>
        _app.Request(method, query: query, body: body?.Text, contentType: body is null ? null : "application/json", headers: headers);

    [Fact]
    public async Task AnExperimentBodyWithAnExtraFieldIsABadRequestNamingItAndStoresNothing()
    {
        var dataset = await Seed.Dataset(_app);

        var response = await _app.Invoke(
            Request("POST", Json($$"""{"dataset_id": {{dataset.Id}}, "task_name": "TabularClassificationTask", "name": "A", "colour": "red"}""")),
            _experiments.Create);

        response.AssertProblem(400, "Unknown field 'colour'");
        Assert.Contains("known fields: dataset_id, task_name, name", response.Body);
        Assert.Empty(await _app.Stores.Experiments.ListAsync(null, default));
    }

    [Fact]
    public async Task AFieldNameThatIsCloseToAKnownOneGetsADidYouMean()
    {
        var dataset = await Seed.Dataset(_app);

        var response = await _app.Invoke(
            Request("POST", Json($$"""{"datasetId": {{dataset.Id}}, "task_name": "TabularClassificationTask", "name": "A"}""")),
            _experiments.Create);

        response.AssertProblem(400, "Unknown field 'datasetId' in the request body; did you mean 'dataset_id'?");
    }

    [Fact]
    public async Task ARunBodyWithParamtersInsteadOfParametersIsABadRequestInsteadOfTrainingWithDefaults()
    {
        var experiment = await Seed.Experiment(_app);

        var response = await _app.Invoke(
            Request("POST", Json($$$"""{"experiment_id": {{{experiment.Id}}}, "model_name": "LogisticRegression", "name": "r", "paramters": {"maximum_number_of_iterations": 5}}""")),
            _runs.Create);

        response.AssertProblem(400, "did you mean 'parameters'?");
        Assert.Empty(await _app.Stores.Runs.ListAsync(null, default));
    }

    [Fact]
    public async Task APatchedRunBodyWithParamtersIsABadRequestAndTheRunIsUnchanged()
    {
        var experiment = await Seed.Experiment(_app);
        var run = await Seed.Run(_app, experiment.Id);

        var response = await _app.Invoke(Request("PATCH", Json("""{"paramters": {"maximum_number_of_iterations": 5}}""")), (r, ct) => _runs.Update(r, run.Id.ToString(), ct));

        response.AssertProblem(400, "did you mean 'parameters'?");
        Assert.Equal("{}", (await _app.Stores.Runs.GetAsync(run.Id, default)).Parameters);
    }

    [Fact]
    public async Task TheThesisRunFormWithTheParametersAsTheBodyKeepsWorking()
    {
        var experiment = await Seed.Experiment(_app);

        var created = await _app.Invoke(
            Request("POST", Json("""{"maximum_number_of_iterations": 5}"""), $"experiment_id={experiment.Id}&model_name=LogisticRegression&name=r"),
            _runs.Create);
        var patched = await _app.Invoke(Request("PATCH", Json("""{"maximum_number_of_iterations": 7}""")), (r, ct) => _runs.Update(r, created.Id.ToString(), ct));

        created.AssertStatus(201);
        patched.AssertStatus(200);
        Assert.Equal(7, patched.Json["parameters"]!["maximum_number_of_iterations"]!.GetValue<int>());
    }

    [Fact]
    public async Task AnUnknownModelParameterStillListsTheModelsParametersWithADidYouMean()
    {
        var experiment = await Seed.Experiment(_app);

        var response = await _app.Invoke(
            Request("POST", Json("""{"maximum_number_of_iteration": 5}"""), $"experiment_id={experiment.Id}&model_name=LogisticRegression&name=r"),
            _runs.Create);

        response.AssertProblem(400, "Unknown parameter 'maximum_number_of_iteration'");
        Assert.Contains("did you mean 'maximum_number_of_iterations'?", response.Body);
    }

    [Fact]
    public async Task ADatasetPatchWithAnUnknownFieldIsABadRequestAndTheDatasetIsUnchanged()
    {
        var dataset = await Seed.Dataset(_app, "before");

        var response = await _app.Invoke(Request("PATCH", Json("""{"name": "after", "tags": ["x"]}""")), (r, ct) => _datasets.Update(r, dataset.Id.ToString(), ct));

        response.AssertProblem(400, "Unknown field 'tags'");
        Assert.Equal("before", (await _app.Stores.Datasets.GetAsync(dataset.Id, default)).Name);
    }

    [Fact]
    public async Task ABodyOnADeleteIsRefusedAndNothingIsDeleted()
    {
        var dataset = await Seed.Dataset(_app);

        var response = await _app.Invoke(Request("DELETE", Json("""{"force": true}""")), (r, ct) => _datasets.Delete(r, dataset.Id.ToString(), ct));

        response.AssertProblem(400, "Unknown field 'force'");
        Assert.NotNull(await _app.Stores.Datasets.FindAsync(dataset.Id, default));
    }

    [Fact]
    public async Task AJobRequestWithAnUnknownFieldIsABadRequest()
    {
        var response = await _app.Invoke(Request("POST", Json("""{"rnu_id": 1}""")), _jobs.Enqueue);

        response.AssertProblem(400, "did you mean 'run_id'?");
    }

    [Fact]
    public async Task ABodyThatIsNotAnObjectIsABadRequest()
    {
        var response = await _app.Invoke(Request("POST", Json("[1, 2]")), _experiments.Create);

        response.AssertProblem(400, "must be a JSON object");
    }

    [Theory]
    [InlineData("""{"name": "a", "name": "b", "dataset_id": 1, "task_name": "TabularClassificationTask"}""", "'name'")]
    [InlineData("""{"name": "a", "\u006eame": "b", "dataset_id": 1, "task_name": "TabularClassificationTask"}""", "'name'")]
    public async Task AKeyGivenTwiceIsABadRequestNamingIt(string body, string key)
    {
        var dataset = await Seed.Dataset(_app);

        var response = await _app.Invoke(Request("POST", Json(body.Replace("\"dataset_id\": 1", $"\"dataset_id\": {dataset.Id}", StringComparison.Ordinal))), _experiments.Create);

        response.AssertProblem(400, $"gives the field {key} more than once");
        Assert.Empty(await _app.Stores.Experiments.ListAsync(null, default));
    }

    [Fact]
    public async Task AKeyGivenTwiceInsideTheParametersIsNamedWithItsPath()
    {
        var experiment = await Seed.Experiment(_app);

        var response = await _app.Invoke(
            Request("POST", Json($$$"""{"experiment_id": {{{experiment.Id}}}, "model_name": "LogisticRegression", "name": "r", "parameters": {"maximum_number_of_iterations": 5, "maximum_number_of_iterations": 6}}""")),
            _runs.Create);

        response.AssertProblem(400, "'parameters.maximum_number_of_iterations' more than once");
        Assert.Empty(await _app.Stores.Runs.ListAsync(null, default));
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("W/garbage")]
    [InlineData("\"unterminated")]
    [InlineData("\"a\", \"b\"")]
    public async Task AMalformedIfMatchIsABadRequestAndChangesNothing(string ifMatch)
    {
        var experiment = await Seed.Experiment(_app, name: "before");

        var patch = await _app.Invoke(
            Request("PATCH", Json("""{"name": "after"}"""), headers: new Dictionary<string, string> { ["If-Match"] = ifMatch }),
            (r, ct) => _experiments.Update(r, experiment.Id.ToString(), ct));
        var delete = await _app.Invoke(
            Request("DELETE", headers: new Dictionary<string, string> { ["If-Match"] = ifMatch }),
            (r, ct) => _experiments.Delete(r, experiment.Id.ToString(), ct));

        patch.AssertProblem(400, "If-Match");
        delete.AssertProblem(400, "If-Match");
        Assert.Equal("before", (await _app.Stores.Experiments.GetAsync(experiment.Id, default)).Name);
    }

    [Theory]
    [InlineData("\"nope\"")]
    [InlineData("W/\"datetime'2001-01-01T00%3A00%3A00.0000000Z'\"")]
    public async Task AWellFormedIfMatchThatIsNotTheCurrentETagIsPreconditionFailed(string ifMatch)
    {
        var run = await Seed.Run(_app, (await Seed.Experiment(_app)).Id);
        var headers = new Dictionary<string, string> { ["If-Match"] = ifMatch };

        var patch = await _app.Invoke(Request("PATCH", Json("""{"run_name": "after"}"""), headers: headers), (r, ct) => _runs.Update(r, run.Id.ToString(), ct));
        var delete = await _app.Invoke(Request("DELETE", headers: headers), (r, ct) => _runs.Delete(r, run.Id.ToString(), ct));

        patch.AssertProblem(412);
        delete.AssertProblem(412);
        Assert.Equal("run", (await _app.Stores.Runs.GetAsync(run.Id, default)).Name);
    }

    [Fact]
    public async Task TheCurrentETagWithOrWithoutItsWeakPrefixAndTheWildcardAreAccepted()
    {
        var dataset = await Seed.Dataset(_app);
        var etag = dataset.ETag.ToString("H");

        var strong = await _app.Invoke(
            Request("PATCH", Json("""{"name": "one"}"""), headers: new Dictionary<string, string> { ["If-Match"] = etag.Replace("W/", "", StringComparison.Ordinal) }),
            (r, ct) => _datasets.Update(r, dataset.Id.ToString(), ct));
        var any = await _app.Invoke(
            Request("PATCH", Json("""{"name": "two"}"""), headers: new Dictionary<string, string> { ["If-Match"] = "*" }),
            (r, ct) => _datasets.Update(r, dataset.Id.ToString(), ct));

        strong.AssertStatus(200);
        any.AssertStatus(200);
        Assert.Equal("two", (await _app.Stores.Datasets.GetAsync(dataset.Id, default)).Name);
    }

    [Theory]
    [InlineData("no boundary at all")]
    [InlineData("--other\r\nContent-Disposition: form-data; name=\"params\"\r\n\r\n{}\r\n--other--\r\n")]
    [InlineData("--b0und\r\nContent-Disposition: form-data; name=\"params\"\r\n\r\n{\"task_name\": \"Tabu")]
    [InlineData("--b0und\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\nContent-Type: text/csv\r\n\r\na,b\n1,2\n")]
    public async Task AMultipartBodyWithoutItsDeclaredBoundaryIsABadRequestAndStoresNothing(string body)
    {
        var request = _app.Request("POST", body: body, contentType: "multipart/form-data; boundary=b0und");

        var response = await _app.Invoke(request, _upload.Create);

        response.AssertProblem(400, "multipart");
        await AssertNoDatasetStored();
    }

    [Fact]
    public async Task AMultipartBoundaryLongerThanTheStandardAllowsIsABadRequest()
    {
        var request = _app.Request("POST", body: "--x\r\n", contentType: "multipart/form-data; boundary=" + new string('b', 5000));

        var response = await _app.Invoke(request, _upload.Create);

        response.AssertProblem(400, "boundary");
    }

    [Theory]
    [InlineData("output_columns", "did you mean 'outputs_columns'?")]
    [InlineData("dataset_nmae", "did you mean 'dataset_name'?")]
    [InlineData("colour", "known fields: task_name")]
    public async Task AnUnknownFieldInTheUploadParamsIsABadRequestAndStoresNothing(string field, string hint)
    {
        var parameters = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(Uploads.Params("typo")))!.AsObject();
        parameters[field] = JsonValue.Create("x");

        var response = await _app.Invoke(await Uploads.Request(_app, parameters.ToJsonString(), Encoding.UTF8.GetBytes("a,b\n1,x\n2,y\n")), _upload.Create);

        response.AssertProblem(400, $"Unknown field '{field}' in params");
        Assert.Contains(hint, response.Body);
        await AssertNoDatasetStored();
    }

    [Fact]
    public async Task AKeyGivenTwiceInTheUploadParamsIsABadRequestNamingIt()
    {
        var json = """{"task_name": "TabularClassificationTask", "dataloader": "CSVDataLoader", "dataset_name": "d", "dataloader_params": {"separator": ",", "separator": ";"}}""";

        var response = await _app.Invoke(await Uploads.Request(_app, json, Encoding.UTF8.GetBytes("a,b\n1,x\n2,y\n")), _upload.Create);

        response.AssertProblem(400, "'dataloader_params.separator' more than once");
        await AssertNoDatasetStored();
    }

    private async Task AssertNoDatasetStored()
    {
        Assert.Empty(await _app.Stores.Datasets.ListAsync(null, default));
        var blobs = new List<string>();
        await foreach (var blob in _app.Storage.Container(_app.Storage.Names.DatasetsContainer).GetBlobsAsync(BlobTraits.None, BlobStates.None, null, default))
        {
            blobs.Add(blob.Name);
        }

        Assert.Empty(blobs);
    }

    private sealed record HttpRequestBody(string Text);
}

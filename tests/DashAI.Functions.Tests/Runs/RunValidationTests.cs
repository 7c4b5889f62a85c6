using DashAI.Functions.Experiments;
using DashAI.Functions.Runs;
using DashAI.Functions.Tests.Infrastructure;

namespace DashAI.Functions.Tests.Runs;

/// <summary>Where the user acts: experiments must fit their dataset, runs must name a fitting model with valid parameters.</summary>
public sealed class RunValidationTests : IAsyncLifetime
{
    private readonly TestApp _app = TestApp.Create();
    private long _irisId;

    public async Task InitializeAsync()
    {
        var upload = await _app.Invoke(
            await Uploads.Request(_app, Uploads.Params("iris"), Uploads.SharedFile("iris.csv"), "iris.csv"),
            _app.Function<DashAI.Functions.Datasets.DatasetUploadFunction>().Create);
        _irisId = upload.AssertStatus(201).Id;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private Task<TestResponse> CreateExperiment(string task, string name) =>
        _app.Invoke(_app.Request("POST", json: new { dataset_id = _irisId, task_name = task, name }), _app.Function<ExperimentFunctions>().Create);

    private async Task<long> Experiment() => (await CreateExperiment("TabularClassificationTask", "exp-" + Guid.NewGuid().ToString("N")[..6])).AssertStatus(201).Id;

    private async Task<TestResponse> CreateRun(long experimentId, string model, object? parameters) =>
        await _app.Invoke(
            _app.Request("POST", json: new { experiment_id = experimentId, model_name = model, name = "r", parameters }),
            _app.Function<RunFunctions>().Create);

    [Fact]
    public async Task AnExperimentWithAnUnknownTaskIsABadRequest()
    {
        var response = await CreateExperiment("ImageSegmentationTask", "bad-task");
        response.AssertProblem(400, "Unknown task");
    }

    [Fact]
    public async Task AnExperimentWhoseTaskDoesNotFitTheDatasetIsABadRequest()
    {
        // iris's label is a categorical species name: regression needs a numeric output.
        var regression = await CreateExperiment("RegressionTask", "regress-iris");
        // iris has no text column.
        var text = await CreateExperiment("TextClassificationTask", "text-iris");

        regression.AssertProblem(400);
        text.AssertProblem(400);
        Assert.Empty(await _app.Stores.Experiments.ListAsync(null, default));
    }

    [Fact]
    public async Task MissingParametersAreFilledWithDefaultsAndStored()
    {
        var experiment = await Experiment();

        var response = await CreateRun(experiment, "LightGbmClassifier", new { number_of_iterations = 50 });

        response.AssertStatus(201);
        var parameters = response.Json["parameters"]!.AsObject();
        Assert.Equal(50, parameters["number_of_iterations"]!.GetValue<int>());
        Assert.True(parameters.Count > 1, "defaults were not filled in");
        var stored = await _app.Stores.Runs.GetAsync(response.Id, default);
        Assert.Contains("learning_rate", stored.Parameters);
    }

    [Fact]
    public async Task AnUnknownModelIsABadRequest()
    {
        var response = await CreateRun(await Experiment(), "QuantumForest", null);
        response.AssertProblem(400, "QuantumForest");
    }

    [Fact]
    public async Task AModelThatDoesNotFitTheTaskIsABadRequest()
    {
        var response = await CreateRun(await Experiment(), "SdcaRegressor", null);
        response.AssertProblem(400, "does not fit");
    }

    [Fact]
    public async Task EveryParameterProblemIsListedInOneBadRequest()
    {
        var response = await CreateRun(await Experiment(), "LightGbmClassifier", new { number_of_iterations = "many", learning_rate = -1.0, colour = "red" });

        response.AssertProblem(400);
        var errors = response.Json["errors"]!.AsArray().Select(e => e!.GetValue<string>()).ToList();
        Assert.True(errors.Count >= 3, string.Join(" | ", errors));
        Assert.Contains(errors, e => e.Contains("number_of_iterations"));
        Assert.Contains(errors, e => e.Contains("learning_rate"));
        Assert.Contains(errors, e => e.Contains("colour"));
        Assert.Empty(await _app.Stores.Runs.ListAsync(null, default));
    }

    [Fact]
    public async Task PatchValidatesParametersToo()
    {
        var run = (await CreateRun(await Experiment(), "LogisticRegression", null)).AssertStatus(201);

        var response = await _app.Invoke(
            _app.Request("PATCH", json: new { parameters = new { l2_regularization = "strong" } }),
            (r, ct) => _app.Function<RunFunctions>().Update(r, run.Id.ToString(), ct));

        response.AssertProblem(400, "l2_regularization");
    }

    [Theory]
    [InlineData(RunStatus.Finished)]
    [InlineData(RunStatus.Error)]
    public async Task ChangingParametersOfAFinishedOrFailedRunResetsItsResults(RunStatus status)
    {
        var run = (await CreateRun(await Experiment(), "LogisticRegression", null)).AssertStatus(201);
        await _app.Stores.Runs.ChangeAsync(run.Id, r =>
        {
            r.Status = (int)status;
            r.TestMetrics = "{\"accuracy\":0.9}";
            r.EndTime = DateTimeOffset.UtcNow;
            r.RunPath = "models/1/model.zip";
            return true;
        }, default);

        var response = await _app.Invoke(
            _app.Request("PATCH", json: new { parameters = new { l2_regularization = 0.5 } }),
            (r, ct) => _app.Function<RunFunctions>().Update(r, run.Id.ToString(), ct));

        response.AssertStatus(200);
        Assert.Equal(0, response.Json["status"]!.GetValue<int>());
        Assert.Null(response.Json["test_metrics"]);
        Assert.Null(response.Json["end_time"]);
        Assert.Null(response.Json["run_path"]);
    }

    [Fact]
    public async Task RenamingAFinishedRunKeepsItsResults()
    {
        var run = (await CreateRun(await Experiment(), "LogisticRegression", null)).AssertStatus(201);
        await _app.Stores.Runs.ChangeAsync(run.Id, r => { r.Status = (int)RunStatus.Finished; r.TestMetrics = "{\"accuracy\":0.9}"; return true; }, default);

        var response = await _app.Invoke(_app.Request("PATCH", query: "run_name=renamed"), (r, ct) => _app.Function<RunFunctions>().Update(r, run.Id.ToString(), ct));

        Assert.Equal(3, response.AssertStatus(200).Json["status"]!.GetValue<int>());
        Assert.NotNull(response.Json["test_metrics"]);
    }
}

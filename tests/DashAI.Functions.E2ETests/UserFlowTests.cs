using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DashAI.Functions.E2ETests;

/// <summary>
/// What a client of the deployed API does, over plain HTTP against the real worker: upload a dataset, create an
/// experiment and a run, send it to train through the queue, poll it, read its metrics and download its model.
/// </summary>
public sealed class UserFlowTests(DashAIFixture fixture) : IClassFixture<DashAIFixture>
{
    private const int Finished = 3;
    private const int Error = 4;
    private static readonly TimeSpan TrainingTimeout = TimeSpan.FromSeconds(120);

    private HttpClient Client => fixture.Client;

    [Fact]
    public async Task CompleteUserFlowTrainsAModelAndServesItsMetricsAndModel()
    {
        var unique = Guid.NewGuid().ToString("N")[..8];
        var datasetId = await UploadIrisAsync($"iris-{unique}");
        var experimentId = await CreateExperimentAsync(datasetId, $"exp-{unique}");
        var runId = await CreateRunAsync(experimentId, $"run-{unique}");

        using (var enqueue = await Client.PostAsync($"api/v1/job/runner?run_id={runId}", content: null))
        {
            await AssertSuccessAsync(enqueue);
        }

        var run = await WaitForTerminalStatusAsync(runId);
        Assert.True(run["status"]!.GetValue<int>() == Finished, $"Run {runId} ended {run.ToJsonString()}{Environment.NewLine}{fixture.Log.Tail()}");
        foreach (var metrics in new[] { "train_metrics", "validation_metrics", "test_metrics" })
        {
            var values = Assert.IsType<JsonObject>(run[metrics], exactMatch: false);
            Assert.NotEmpty(values);
        }

        Assert.NotNull(run["start_time"]);
        Assert.NotNull(run["end_time"]);

        using var model = await Client.GetAsync($"api/v1/run/{runId}/model");
        await AssertSuccessAsync(model);
        var bytes = await model.Content.ReadAsByteArrayAsync();
        Assert.True(bytes.Length > 100, $"model.zip is {bytes.Length} bytes");
        Assert.Equal("PK"u8.ToArray(), bytes[..2]);
    }

    [Fact]
    public async Task MissingDatasetIsAProblemDetails404()
    {
        using var response = await Client.GetAsync("api/v1/dataset/999999");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal(404, problem!["status"]!.GetValue<int>());
        Assert.False(string.IsNullOrWhiteSpace(problem["detail"]?.GetValue<string>()), problem.ToJsonString());
    }

    [Fact]
    public async Task RouteWithATrailingSlashIsServed()
    {
        using var response = await Client.GetAsync("api/v1/dataset/");

        await AssertSuccessAsync(response);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.IsType<JsonArray>(await response.Content.ReadFromJsonAsync<JsonNode>());
    }

    [Fact]
    public async Task ResponsesUseSnakeCaseJson()
    {
        var unique = Guid.NewGuid().ToString("N")[..8];
        var datasetId = await UploadIrisAsync($"iris-snake-{unique}");

        var dataset = await Client.GetFromJsonAsync<JsonObject>($"api/v1/dataset/{datasetId}");

        Assert.NotNull(dataset);
        Assert.All(dataset.Select(p => p.Key), key => Assert.Equal(key.ToLowerInvariant(), key));
        Assert.Contains("task_name", dataset.Select(p => p.Key));
    }

    internal async Task<long> UploadIrisAsync(string name)
    {
        var parameters = new JsonObject
        {
            ["task_name"] = "TabularClassificationTask",
            ["dataloader"] = "CSVDataLoader",
            ["dataset_name"] = name,
            ["outputs_columns"] = new JsonArray(),
            ["splits"] = new JsonObject
            {
                ["train_size"] = 0.8,
                ["test_size"] = 0.1,
                ["val_size"] = 0.1,
                ["seed"] = 42,
                ["shuffle"] = true,
                ["stratify"] = false,
            },
            ["dataloader_params"] = new JsonObject { ["separator"] = "," },
        };
        using var form = new MultipartFormDataContent();
        form.Add(new StringContent(parameters.ToJsonString(), Encoding.UTF8, "application/json"), "params");
        var file = new ByteArrayContent(await File.ReadAllBytesAsync(Path.Combine(Infrastructure.RepoRoot.SharedData, "iris.csv")));
        file.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        form.Add(file, "file", "iris.csv");

        using var response = await Client.PostAsync("api/v1/dataset", form);
        return await ReadIdAsync(response);
    }

    internal async Task<long> CreateExperimentAsync(long datasetId, string name)
    {
        using var response = await Client.PostAsJsonAsync("api/v1/experiment", new JsonObject
        {
            ["dataset_id"] = datasetId,
            ["task_name"] = "TabularClassificationTask",
            ["name"] = name,
        });
        return await ReadIdAsync(response);
    }

    internal async Task<long> CreateRunAsync(long experimentId, string name)
    {
        using var response = await Client.PostAsJsonAsync("api/v1/run", new JsonObject
        {
            ["experiment_id"] = experimentId,
            ["model_name"] = "LogisticRegression",
            ["name"] = name,
            ["parameters"] = new JsonObject(),
        });
        return await ReadIdAsync(response);
    }

    internal async Task<JsonObject> WaitForTerminalStatusAsync(long runId)
    {
        var deadline = DateTime.UtcNow + TrainingTimeout;
        JsonObject? run = null;
        while (DateTime.UtcNow < deadline)
        {
            run = await Client.GetFromJsonAsync<JsonObject>($"api/v1/run/{runId}");
            if (run?["status"]?.GetValue<int>() is Finished or Error)
            {
                return run;
            }

            await Task.Delay(500);
        }

        throw new Xunit.Sdk.XunitException($"Run {runId} did not finish within {TrainingTimeout}: {run?.ToJsonString()}{Environment.NewLine}{fixture.Log.Tail()}");
    }

    private async Task<long> ReadIdAsync(HttpResponseMessage response)
    {
        await AssertSuccessAsync(response);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        return body!["id"]!.GetValue<long>();
    }

    private async Task AssertSuccessAsync(HttpResponseMessage response)
    {
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync();
            throw new Xunit.Sdk.XunitException(
                $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}: {body}{Environment.NewLine}{fixture.Log.Tail()}");
        }
    }
}

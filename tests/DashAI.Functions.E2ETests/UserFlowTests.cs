using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace DashAI.Functions.E2ETests;

/// <summary>
/// What a client of the deployed API does, over plain HTTP against the real worker: upload a dataset, create an
/// experiment and a run, send it to train through the queue, poll it, read its metrics and download its model.
/// </summary>
public sealed class UserFlowTests(DashAIFixture fixture) : IClassFixture<DashAIFixture>
{
    private static readonly TimeSpan TrainingTimeout = TimeSpan.FromSeconds(120);

    private readonly DashAIApi _api = new(fixture.Client, fixture.Log);

    [Fact]
    public async Task CompleteUserFlowTrainsAModelAndServesItsMetricsAndModel()
    {
        var runId = await _api.CreateIrisRunAsync(Guid.NewGuid().ToString("N")[..8]);

        await _api.EnqueueAsync(runId);

        var run = await _api.WaitForTerminalStatusAsync(runId, TrainingTimeout);
        Assert.True(run["status"]!.GetValue<int>() == DashAIApi.Finished, $"Run {runId} ended {run.ToJsonString()}{Environment.NewLine}{fixture.Log.Tail()}");
        foreach (var metrics in new[] { "train_metrics", "validation_metrics", "test_metrics" })
        {
            var values = Assert.IsType<JsonObject>(run[metrics], exactMatch: false);
            Assert.NotEmpty(values);
        }

        Assert.NotNull(run["start_time"]);
        Assert.NotNull(run["end_time"]);

        using var model = await fixture.Client.GetAsync($"api/v1/run/{runId}/model");
        await _api.AssertSuccessAsync(model);
        var bytes = await model.Content.ReadAsByteArrayAsync();
        Assert.True(bytes.Length > 100, $"model.zip is {bytes.Length} bytes");
        Assert.Equal("PK"u8.ToArray(), bytes[..2]);
    }

    [Fact]
    public async Task MissingDatasetIsAProblemDetails404()
    {
        using var response = await fixture.Client.GetAsync("api/v1/dataset/999999");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal(404, problem!["status"]!.GetValue<int>());
        Assert.False(string.IsNullOrWhiteSpace(problem["detail"]?.GetValue<string>()), problem.ToJsonString());
    }

    [Fact]
    public async Task RouteWithATrailingSlashIsServed()
    {
        using var response = await fixture.Client.GetAsync("api/v1/dataset/");

        await _api.AssertSuccessAsync(response);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.IsType<JsonArray>(await response.Content.ReadFromJsonAsync<JsonNode>());
    }

    [Fact]
    public async Task ResponsesUseSnakeCaseJson()
    {
        var datasetId = await _api.UploadIrisAsync($"iris-snake-{Guid.NewGuid().ToString("N")[..8]}");

        var dataset = await fixture.Client.GetFromJsonAsync<JsonObject>($"api/v1/dataset/{datasetId}");

        Assert.NotNull(dataset);
        Assert.All(dataset.Select(p => p.Key), key => Assert.Equal(key.ToLowerInvariant(), key));
        Assert.Contains("task_name", dataset.Select(p => p.Key));
    }
}

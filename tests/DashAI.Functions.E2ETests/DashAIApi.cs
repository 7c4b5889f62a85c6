using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using DashAI.Functions.E2ETests.Infrastructure;

namespace DashAI.Functions.E2ETests;

/// <summary>The API calls a client makes, with failures that show the response body and the worker's last log lines.</summary>
public sealed class DashAIApi(HttpClient client, HarnessLog log)
{
    public const int Finished = 3;
    public const int Error = 4;

    public HttpClient Client => client;

    public Task<long> UploadIrisAsync(string name) => UploadSampleAsync("iris.csv", name);

    /// <summary>Uploads a reference dataset of samples/ for classification (80/10/10, seed 42).</summary>
    public async Task<long> UploadSampleAsync(string sample, string name)
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
        var file = new ByteArrayContent(await File.ReadAllBytesAsync(RepoPaths.Sample(sample)));
        file.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        form.Add(file, "file", sample);

        using var response = await client.PostAsync("api/v1/dataset", form);
        return await ReadIdAsync(response);
    }

    public async Task<long> CreateExperimentAsync(long datasetId, string name)
    {
        using var response = await client.PostAsJsonAsync("api/v1/experiment", new JsonObject
        {
            ["dataset_id"] = datasetId,
            ["task_name"] = "TabularClassificationTask",
            ["name"] = name,
        });
        return await ReadIdAsync(response);
    }

    public async Task<long> CreateRunAsync(long experimentId, string name)
    {
        using var response = await client.PostAsJsonAsync("api/v1/run", new JsonObject
        {
            ["experiment_id"] = experimentId,
            ["model_name"] = "LogisticRegression",
            ["name"] = name,
            ["parameters"] = new JsonObject(),
        });
        return await ReadIdAsync(response);
    }

    /// <summary>An iris dataset, an experiment and a LogisticRegression run on it; returns the run id.</summary>
    public async Task<long> CreateIrisRunAsync(string unique)
    {
        var datasetId = await UploadIrisAsync($"iris-{unique}");
        var experimentId = await CreateExperimentAsync(datasetId, $"exp-{unique}");
        return await CreateRunAsync(experimentId, $"run-{unique}");
    }

    /// <summary>POST /job/runner?run_id=N; returns the job id.</summary>
    public async Task<long> EnqueueAsync(long runId)
    {
        using var response = await client.PostAsync($"api/v1/job/runner?run_id={runId}", content: null);
        return await ReadIdAsync(response);
    }

    public async Task<JsonObject> WaitForTerminalStatusAsync(long runId, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        JsonObject? run = null;
        while (DateTime.UtcNow < deadline)
        {
            run = await client.GetFromJsonAsync<JsonObject>($"api/v1/run/{runId}");
            if (run?["status"]?.GetValue<int>() is Finished or Error)
            {
                return run;
            }

            await Task.Delay(500);
        }

        throw new Xunit.Sdk.XunitException($"Run {runId} did not end within {timeout}: {run?.ToJsonString()}{Environment.NewLine}{log.Tail()}");
    }

    public async Task<long> ReadIdAsync(HttpResponseMessage response)
    {
        await AssertSuccessAsync(response);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        return body!["id"]!.GetValue<long>();
    }

    public async Task AssertSuccessAsync(HttpResponseMessage response)
    {
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync();
            throw new Xunit.Sdk.XunitException(
                $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}: {body}{Environment.NewLine}{log.Tail()}");
        }
    }
}

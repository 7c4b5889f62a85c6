using System.Text.Json.Nodes;
using DashAI.Functions.Datasets;
using DashAI.Functions.Experiments;
using DashAI.Functions.Jobs;
using DashAI.Functions.Predictions;
using DashAI.Functions.Runs;
using DashAI.Functions.Tests.Infrastructure;

namespace DashAI.Functions.Tests.Predictions;

/// <summary>The steps the prediction tests share: upload, train through the queue, call the prediction endpoints.</summary>
public sealed class PredictionFlow(TestApp app)
{
    public TestApp App { get; } = app;

    public QueueHost Host { get; } = new(app);

    public async Task<long> UploadAsync(string file, string name, string task = "TabularClassificationTask")
    {
        var response = await App.Invoke(
            await Uploads.Request(App, Uploads.Params(name, task), Uploads.SharedFile(file), file),
            App.Function<DatasetUploadFunction>().Create);
        return response.AssertStatus(201).Id;
    }

    /// <summary>Uploads <paramref name="file"/>, adds an experiment and a run, and trains it through the queue.</summary>
    public async Task<(long DatasetId, long RunId)> TrainAsync(string file, string model, string task = "TabularClassificationTask", object? parameters = null)
    {
        var name = Path.GetFileNameWithoutExtension(file) + "-" + Guid.NewGuid().ToString("N")[..6];
        var datasetId = await UploadAsync(file, name, task);
        var experimentId = (await App.Invoke(
            App.Request("POST", query: $"dataset_id={datasetId}&task_name={task}&name={name}"),
            App.Function<ExperimentFunctions>().Create)).AssertStatus(201).Id;
        var runId = (await App.Invoke(
            App.Request("POST", json: new { experiment_id = experimentId, model_name = model, name = model, parameters }),
            App.Function<RunFunctions>().Create)).AssertStatus(201).Id;
        await TrainRunAsync(runId);
        return (datasetId, runId);
    }

    public async Task TrainRunAsync(long runId)
    {
        (await App.Invoke(App.Request("POST", query: $"run_id={runId}"), App.Function<JobFunctions>().Enqueue)).AssertStatus(201);
        var deliveries = await Host.DrainAsync();
        Assert.All(deliveries, d => Assert.True(d.Succeeded, d.Error?.ToString()));
        var run = await App.Stores.Runs.GetAsync(runId, default);
        Assert.True(run.RunStatus == RunStatus.Finished, run.Error);
    }

    public Task<TestResponse> PredictAsync(long runId, object? json = null, string? body = null, string? contentType = null) =>
        App.Invoke(
            App.Request("POST", json: json, body: body, contentType: contentType),
            (r, ct) => App.Function<PredictionFunctions>().Predict(r, runId.ToString(System.Globalization.CultureInfo.InvariantCulture), ct));

    public Task<TestResponse> CreatePredictionAsync(object json) =>
        App.Invoke(App.Request("POST", json: json), App.Function<PredictionFunctions>().Create);

    public Task<TestResponse> GetPredictionAsync(long id) =>
        App.Invoke(App.Request("GET"), (r, ct) => App.Function<PredictionFunctions>().Get(r, id.ToString(System.Globalization.CultureInfo.InvariantCulture), ct));

    public Task<TestResponse> GetFileAsync(long id) =>
        App.Invoke(App.Request("GET"), (r, ct) => App.Function<PredictionFunctions>().GetFile(r, id.ToString(System.Globalization.CultureInfo.InvariantCulture), ct));

    public Task<TestResponse> ModelAsync(long runId, string? format) =>
        App.Invoke(
            App.Request("GET", query: format is null ? null : $"format={format}"),
            (r, ct) => App.Function<RunFunctions>().GetModel(r, runId.ToString(System.Globalization.CultureInfo.InvariantCulture), ct));

    /// <summary>The rows of a sample file as request rows (numbers as JSON numbers), without the output column.</summary>
    public static JsonArray Rows(string file, string output, int count = int.MaxValue)
    {
        var lines = File.ReadLines(RepoPaths.Sample(file)).ToList();
        var header = lines[0].Split(',');
        var rows = new JsonArray();
        foreach (var line in lines.Skip(1).Take(count))
        {
            var fields = line.Split(',');
            var row = new JsonObject();
            for (var i = 0; i < header.Length; i++)
            {
                if (header[i] != output)
                {
                    row[header[i]] = double.TryParse(fields[i], System.Globalization.CultureInfo.InvariantCulture, out var number)
                        ? JsonValue.Create(number)
                        : JsonValue.Create(fields[i]);
                }
            }

            rows.Add(row);
        }

        return rows;
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using DashAI.Functions.Datasets;
using DashAI.Functions.Experiments;
using DashAI.Functions.Jobs;
using DashAI.Functions.Runs;
using DashAI.Functions.Storage;
using DashAI.Functions.Tests.Infrastructure;
using DashAI.Functions.Training;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace DashAI.Benchmarks;

/// <summary>
/// <c>queue-latency [--runs N] [--idle-ms M]</c>: enqueue→STARTED and enqueue→FINISHED for N small runs (iris,
/// LogisticRegression) through a real Azurite queue, pumped like one Functions instance does it (one message at a
/// time, polling with exponential backoff up to host.json's maxPollingInterval). Runs are sent one at a time after an
/// idle gap drawn uniformly from [0, M] ms (seeded), so each enqueue lands at an arbitrary point of the pump's
/// backoff, as users' clicks do. Prints one JSON line.
/// </summary>
public static class QueueLatencyCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var runs = IntOption(args, "--runs", 20);
        var idleMax = IntOption(args, "--idle-ms", 8000);
        var random = new Random(17);
        var host = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "host.json")))!["extensions"]!["queues"]!;
        var maxPolling = TimeSpan.Parse(host["maxPollingInterval"]!.GetValue<string>(), CultureInfo.InvariantCulture);

        using var azurite = AzuriteServer.Instance;
        var services = InProcessHttp.Services(azurite.ConnectionString);
        await using var _ = services;
        var stores = services.GetRequiredService<Stores>();

        var datasetId = await UploadIrisAsync(services);
        var experiment = await CallAsync(services, ActivatorUtilities.CreateInstance<ExperimentFunctions>(services).Create, "POST",
            json: $"{{\"dataset_id\":{datasetId},\"task_name\":\"TabularClassificationTask\",\"name\":\"latency\"}}");

        using var stop = new CancellationTokenSource();
        var pump = PumpAsync(services, maxPolling, stop.Token);
        var started = new List<double>();
        var finished = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            var run = await CallAsync(services, ActivatorUtilities.CreateInstance<RunFunctions>(services).Create, "POST",
                json: $"{{\"experiment_id\":{experiment},\"model_name\":\"LogisticRegression\",\"name\":\"r{i}\"}}");
            await Task.Delay(TimeSpan.FromMilliseconds(random.Next(idleMax)));
            var enqueued = DateTimeOffset.UtcNow;
            await CallAsync(services, ActivatorUtilities.CreateInstance<JobFunctions>(services).Enqueue, "POST", query: $"?run_id={run}");
            RunEntity entity;
            while ((entity = await stores.Runs.GetAsync(run, default)).RunStatus is RunStatus.Delivered or RunStatus.Started)
            {
                await Task.Delay(20);
            }

            if (entity.RunStatus != RunStatus.Finished)
            {
                throw new InvalidOperationException($"run {run} ended {entity.RunStatus}: {entity.Error}");
            }

            started.Add((entity.StartTime!.Value - enqueued).TotalSeconds);
            finished.Add((entity.EndTime!.Value - enqueued).TotalSeconds);
        }

        await stop.CancelAsync();
        await pump;
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            runs,
            idle_ms_max = idleMax,
            max_polling_interval_s = maxPolling.TotalSeconds,
            enqueue_to_started_s = Summary(started),
            enqueue_to_finished_s = Summary(finished),
        }));
        return 0;
    }

    /// <summary>One instance's queue listener: one message at a time; backoff doubles from 100 ms to the maximum while the queue is empty.</summary>
    private static async Task PumpAsync(IServiceProvider services, TimeSpan maxPolling, CancellationToken cancellationToken)
    {
        var storage = services.GetRequiredService<StorageContext>();
        var worker = services.GetRequiredService<JobWorker>();
        var queue = storage.Queue(storage.Names.TrainingQueueName);
        var delay = TimeSpan.FromMilliseconds(100);
        while (!cancellationToken.IsCancellationRequested)
        {
            var message = (await queue.ReceiveMessageAsync(TimeSpan.FromMinutes(10), CancellationToken.None)).Value;
            if (message is null)
            {
                try
                {
                    await Task.Delay(delay, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, maxPolling.Ticks));
                continue;
            }

            delay = TimeSpan.FromMilliseconds(100);
            await worker.ProcessAsync(message.MessageText, message.DequeueCount, CancellationToken.None);
            await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, CancellationToken.None);
        }
    }

    private static async Task<long> UploadIrisAsync(IServiceProvider services)
    {
        using var content = new MultipartFormDataContent
        {
            { new StringContent("{\"task_name\":\"TabularClassificationTask\",\"dataloader\":\"CSVDataLoader\",\"dataset_name\":\"iris\",\"outputs_columns\":[]}"), "params" },
        };
        var file = new ByteArrayContent(await File.ReadAllBytesAsync(RepoPaths.Sample("iris.csv")));
        file.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        content.Add(file, "file", "iris.csv");
        var body = await content.ReadAsByteArrayAsync();
        return await CallAsync(services, ActivatorUtilities.CreateInstance<DatasetUploadFunction>(services).Create, "POST",
            bodyBytes: body, contentType: content.Headers.ContentType!.ToString());
    }

    private static async Task<long> CallAsync(
        IServiceProvider services, Func<HttpRequest, CancellationToken, Task<IResult>> function, string method,
        string? json = null, string? query = null, byte[]? bodyBytes = null, string? contentType = null)
    {
        var (status, _, response) = await InProcessHttp.InvokeAsync(services, function, method, json, query, bodyBytes, contentType);
        return status is 200 or 201
            ? response!["id"]!.GetValue<long>()
            : throw new InvalidOperationException($"{status}: {response?.ToJsonString()}");
    }

    internal static object Summary(List<double> values)
    {
        var sorted = values.Order().ToList();
        double Percentile(double p) => sorted[(int)Math.Min(sorted.Count - 1, Math.Ceiling(p * sorted.Count) - 1)];
        return new { p50 = Math.Round(Percentile(0.5), 3), p95 = Math.Round(Percentile(0.95), 3), max = Math.Round(sorted[^1], 3) };
    }

    internal static int IntOption(string[] args, string name, int fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
    }
}

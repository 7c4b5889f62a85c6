using System.Collections.ObjectModel;
using System.Diagnostics;
using DashAI.Functions.Datasets;
using DashAI.Functions.Experiments;
using DashAI.Functions.Jobs;
using DashAI.Functions.Runs;
using DashAI.Functions.Telemetry;
using DashAI.Functions.Tests.Infrastructure;
using DashAI.ML.Data;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace DashAI.Functions.Tests.Telemetry;

/// <summary>
/// What the worker emits through OpenTelemetry, captured with the in-memory exporter while a real upload and a real
/// ML.NET training run through the queue.
/// </summary>
public sealed class TelemetryTests : IAsyncLifetime
{
    private readonly LockedList<Activity> _spans = [];
    private readonly LockedList<Metric> _metrics = [];
    private readonly LockedList<LogRecord> _logs = [];
    private readonly TestApp _app;
    private QueueHost _host = null!;

    public TelemetryTests()
    {
        // The app registers its providers in AddDashAI; the test only adds exporters to them.
        _app = TestApp.Create(
            services => services.AddOpenTelemetry()
                .WithTracing(tracing => tracing.AddInMemoryExporter(_spans))
                .WithMetrics(metrics => metrics.AddInMemoryExporter(_metrics))
                .WithLogging(logging => logging.AddInMemoryExporter(_logs)),
            new Dictionary<string, string?> { ["DashAI:Training:HeartbeatSeconds"] = "1", ["DashAI:Training:StaleAfterSeconds"] = "5" });
    }

    public Task InitializeAsync()
    {
        // Outside a host nothing starts the providers: resolving them does.
        _ = _app.Services.GetRequiredService<TracerProvider>();
        _ = _app.Services.GetRequiredService<MeterProvider>();
        _host = new QueueHost(_app);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private async Task<long> UploadIrisAsync(string name) =>
        (await _app.Invoke(
            await Uploads.Request(_app, Uploads.Params(name, "TabularClassificationTask"), Uploads.SharedFile("iris.csv"), "iris.csv"),
            _app.Function<DatasetUploadFunction>().Create)).AssertStatus(201).Id;

    private async Task<(long RunId, long JobId)> EnqueueRunAsync(long datasetId, string name)
    {
        var experiment = (await _app.Invoke(
            _app.Request("POST", query: $"dataset_id={datasetId}&task_name=TabularClassificationTask&name={name}"),
            _app.Function<ExperimentFunctions>().Create)).AssertStatus(201).Id;
        var run = (await _app.Invoke(
            _app.Request("POST", json: new { experiment_id = experiment, model_name = "LogisticRegression", name }),
            _app.Function<RunFunctions>().Create)).AssertStatus(201).Id;
        var job = (await _app.Invoke(_app.Request("POST", query: $"run_id={run}"), _app.Function<JobFunctions>().Enqueue)).AssertStatus(201).Id;
        return (run, job);
    }

    [Fact]
    public async Task ATunedRunIsCountedOnceWhenItsSearchEndsAsASearchRun()
    {
        var dataset = await UploadIrisAsync("iris-telemetry-tuned");
        var experiment = (await _app.Invoke(
            _app.Request("POST", query: $"dataset_id={dataset}&task_name=TabularClassificationTask&name=tuned"),
            _app.Function<ExperimentFunctions>().Create)).AssertStatus(201).Id;
        var run = (await _app.Invoke(
            _app.Request("POST", json: new System.Text.Json.Nodes.JsonObject
            {
                ["experiment_id"] = experiment, ["model_name"] = "LightGbmClassifier", ["name"] = "tuned",
                ["parameters"] = System.Text.Json.Nodes.JsonNode.Parse("""{"learning_rate": {"optimize": true, "lower_bound": 0.05, "upper_bound": 0.2}, "number_of_iterations": 20}"""),
                ["optimizer"] = new System.Text.Json.Nodes.JsonObject { ["name"] = "Random", ["n_trials"] = 2, ["parallelism"] = 1, ["seed"] = 1 },
            }),
            _app.Function<RunFunctions>().Create)).AssertStatus(201).Id;
        (await _app.Invoke(_app.Request("POST", query: $"run_id={run}"), _app.Function<JobFunctions>().Enqueue)).AssertStatus(201);

        await _host.DrainAsync();

        Assert.Equal(RunStatus.Finished, (await _app.Stores.Runs.GetAsync(run, default)).RunStatus);
        _app.Services.GetRequiredService<MeterProvider>().ForceFlush();
        // Only a search's end records run_kind "search" (searches of tests running in parallel may add to it; without
        // the search's own count there would be none at all).
        Assert.True(Sum(_metrics.Snapshot(), "dashai.training.runs_ended", (DashAITelemetry.Status, "finished"), (DashAITelemetry.RunKind, "search")) >= 1);
    }

    [Fact]
    public async Task TrainingARunEmitsStageSpansWithItsIdsMetricsAndScopedLogs()
    {
        // Other tests train runs with the same ids in parallel (each on its own tables): this test's spans and logs
        // are the ones in its own trace.
        // Marked recorded, as a sampled incoming request would be (the default sampler follows the parent).
        using var test = new Activity(nameof(TelemetryTests)).SetIdFormat(ActivityIdFormat.W3C).Start();
        test.ActivityTraceFlags = ActivityTraceFlags.Recorded;
        var dataset = await UploadIrisAsync("iris-telemetry");
        var broken = await UploadIrisAsync("iris-telemetry-broken");
        var (run, job) = await EnqueueRunAsync(dataset, "telemetry");
        var (brokenRun, _) = await EnqueueRunAsync(broken, "telemetry-broken");
        await _app.Storage.Container(_app.Storage.Names.DatasetsContainer).DeleteBlobAsync(DatasetBlobs.Split(broken, SplitNames.Train));

        await _host.DrainAsync();

        Assert.Equal(RunStatus.Finished, (await _app.Stores.Runs.GetAsync(run, default)).RunStatus);
        Assert.Equal(RunStatus.Error, (await _app.Stores.Runs.GetAsync(brokenRun, default)).RunStatus);

        // Spans: ingest for each upload; load, fit, evaluate, save for the run, in that order, with its ids.
        var spans = _spans.Snapshot().Where(s => s.TraceId == test.TraceId).ToList();
        var ingest = Assert.Single(spans, s => s.OperationName == "ingest" && Equals(s.GetTagItem(DashAITelemetry.DatasetId), dataset));
        Assert.Equal(150L, ingest.GetTagItem("dashai.rows"));
        var stages = spans.Where(s => Equals(s.GetTagItem(DashAITelemetry.RunId), run)).OrderBy(s => s.StartTimeUtc).ToList();
        Assert.Equal(["load", "fit", "evaluate", "save"], stages.Select(s => s.OperationName));
        Assert.All(stages, s =>
        {
            Assert.Equal(DashAITelemetry.Name, s.Source.Name);
            Assert.Equal(job, s.GetTagItem(DashAITelemetry.JobId));
            Assert.Equal(dataset, s.GetTagItem(DashAITelemetry.DatasetId));
            Assert.Equal("LogisticRegression", s.GetTagItem(DashAITelemetry.Model));
            Assert.Equal("TabularClassificationTask", s.GetTagItem(DashAITelemetry.Task));
            Assert.Equal(ActivityStatusCode.Unset, s.Status);
        });
        var failedLoad = Assert.Single(spans, s => Equals(s.GetTagItem(DashAITelemetry.RunId), brokenRun));
        Assert.Equal("load", failedLoad.OperationName);
        Assert.Equal(ActivityStatusCode.Error, failedLoad.Status);

        // Metrics.
        _app.Services.GetRequiredService<MeterProvider>().ForceFlush();
        var metrics = _metrics.Snapshot();
        Assert.True(HistogramCount(metrics, "dashai.training.queue_wait") >= 2);
        Assert.True(HistogramCount(metrics, "dashai.training.fit_duration", (DashAITelemetry.Model, "LogisticRegression")) >= 1);
        Assert.True(Sum(metrics, "dashai.datasets.rows_ingested") >= 300);
        Assert.True(Sum(metrics, "dashai.training.runs_ended", (DashAITelemetry.Status, "finished"), (DashAITelemetry.ErrorKind, "none"), (DashAITelemetry.RunKind, "training")) >= 1);
        Assert.True(Sum(metrics, "dashai.training.runs_ended", (DashAITelemetry.Status, "error"), (DashAITelemetry.ErrorKind, "permanent")) >= 1);

        // Logs: the run's lines carry its ids in their scope.
        var finished = _logs.Snapshot()
            .Where(l => l.TraceId == test.TraceId && l.Body == "{Kind} {TargetId} finished (job {JobId})" && Attribute(l, "Kind") is "Run")
            .ToList();
        Assert.Contains(finished, l => ScopeValue(l, "RunId") is long r && r == run && ScopeValue(l, "JobId") is long j && j == job && ScopeValue(l, "DatasetId") is long d && d == dataset);
    }

    private static long HistogramCount(IEnumerable<Metric> metrics, string name, params (string Key, object Value)[] tags)
    {
        long count = 0;
        foreach (var metric in metrics.Where(m => m.Name == name))
        {
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                if (HasTags(point, tags))
                {
                    count += point.GetHistogramCount();
                }
            }
        }

        return count;
    }

    private static long Sum(IEnumerable<Metric> metrics, string name, params (string Key, object Value)[] tags)
    {
        long sum = 0;
        foreach (var metric in metrics.Where(m => m.Name == name))
        {
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                if (HasTags(point, tags))
                {
                    sum += point.GetSumLong();
                }
            }
        }

        return sum;
    }

    private static bool HasTags(in MetricPoint point, (string Key, object Value)[] tags)
    {
        var found = new Dictionary<string, object?>();
        foreach (var tag in point.Tags)
        {
            found[tag.Key] = tag.Value;
        }

        return tags.All(t => found.TryGetValue(t.Key, out var value) && Equals(value, t.Value));
    }

    private static object? Attribute(LogRecord record, string key) =>
        record.Attributes?.FirstOrDefault(a => a.Key == key).Value;

    private static object? ScopeValue(LogRecord record, string key)
    {
        object? found = null;
        record.ForEachScope<object?>(
            (scope, _) =>
            {
                foreach (var item in scope)
                {
                    if (item.Key == key)
                    {
                        found = item.Value;
                    }
                }
            },
            null);
        return found;
    }

    /// <summary>A list the exporters may append to from several threads (other tests train in parallel).</summary>
    private sealed class LockedList<T> : Collection<T>
    {
        private readonly object _gate = new();

        public List<T> Snapshot()
        {
            lock (_gate)
            {
                return [.. this];
            }
        }

        protected override void InsertItem(int index, T item)
        {
            lock (_gate)
            {
                base.InsertItem(index, item);
            }
        }
    }
}

using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace DashAI.Functions.Telemetry;

/// <summary>
/// The app's own traces and metrics (one ActivitySource and one Meter, both named <see cref="Name"/>): spans for
/// ingest, load, fit, evaluate and save carrying the dashai.* ids, and the training and ingestion metrics.
/// OpenTelemetry exports them (see <see cref="TelemetrySetup"/>); without a listener they cost next to nothing.
/// </summary>
public static class DashAITelemetry
{
    public const string Name = "DashAI.Functions";

    public const string RunId = "dashai.run_id";
    public const string JobId = "dashai.job_id";
    public const string DatasetId = "dashai.dataset_id";
    public const string Model = "dashai.model";
    public const string Task = "dashai.task";
    public const string Status = "dashai.status";
    public const string ErrorKind = "dashai.error_kind";

    /// <summary>How a run trained: <c>training</c> (one fit) or <c>search</c> (a tuned run's hyperparameter search and refit).</summary>
    public const string RunKind = "dashai.run_kind";

    public static readonly ActivitySource Source = new(Name);

    private static readonly Meter Meter = new(Name);

    /// <summary>Seconds from enqueue (the job's creation) to the attempt that started training it.</summary>
    public static readonly Histogram<double> QueueWait = Meter.CreateHistogram<double>("dashai.training.queue_wait", "s", "Time from enqueue to training start");

    /// <summary>Seconds the model's fit took.</summary>
    public static readonly Histogram<double> FitDuration = Meter.CreateHistogram<double>("dashai.training.fit_duration", "s", "Time spent fitting a model");

    /// <summary>Rows parsed from uploaded datasets.</summary>
    public static readonly Counter<long> RowsIngested = Meter.CreateCounter<long>("dashai.datasets.rows_ingested", "{row}", "Rows read from uploaded datasets");

    /// <summary>Training attempts that ended, by final status (finished, error, cancelled) and error kind.</summary>
    public static readonly Counter<long> RunsEnded = Meter.CreateCounter<long>("dashai.training.runs_ended", "{run}", "Runs that reached a final status");

    public static void RecordRunEnded(string status, string? errorKind, bool search = false) =>
        RunsEnded.Add(
            1,
            new KeyValuePair<string, object?>(Status, status),
            new KeyValuePair<string, object?>(ErrorKind, errorKind ?? "none"),
            new KeyValuePair<string, object?>(RunKind, search ? "search" : "training"));

    /// <summary>Batch prediction attempts that ended, by final status and error kind.</summary>
    public static readonly Counter<long> PredictionsEnded = Meter.CreateCounter<long>("dashai.predictions.ended", "{prediction}", "Batch predictions that reached a final status");

    public static void RecordPredictionEnded(string status, string? errorKind) =>
        PredictionsEnded.Add(1, new KeyValuePair<string, object?>(Status, status), new KeyValuePair<string, object?>(ErrorKind, errorKind ?? "none"));
    /// <summary>Explainer attempts that ended, by final status (finished, error, cancelled) and error kind.</summary>
    public static readonly Counter<long> ExplainersEnded = Meter.CreateCounter<long>("dashai.explainers.ended", "{explainer}", "Explainers that reached a final status");

    public static void RecordExplainerEnded(string status, string? errorKind) =>
        ExplainersEnded.Add(1, new KeyValuePair<string, object?>(Status, status), new KeyValuePair<string, object?>(ErrorKind, errorKind ?? "none"));
}

using System.Diagnostics;

namespace DashAI.Functions.Telemetry;

/// <summary>
/// Turns a training attempt's stage reports (loading, training, evaluating, saving) into one span per stage —
/// load, fit, evaluate, save — under the invocation's span, and records the fit's duration. Stage reports come
/// from the fitting thread; the spans never become that thread's current activity, so nothing else is parented
/// to them by accident.
/// </summary>
public sealed class TrainingSpans : IDisposable
{
    private readonly ActivityContext _parent;
    private readonly KeyValuePair<string, object?>[] _tags;
    private readonly object _gate = new();
    private Activity? _current;
    private string? _stage;
    private long _fitStarted;

    public TrainingSpans(long runId, long jobId, long datasetId, string model, string task)
    {
        _parent = Activity.Current?.Context ?? default;
        _tags =
        [
            new(DashAITelemetry.RunId, runId),
            new(DashAITelemetry.JobId, jobId),
            new(DashAITelemetry.DatasetId, datasetId),
            new(DashAITelemetry.Model, model),
            new(DashAITelemetry.Task, task),
        ];
    }

    /// <summary>The span name for a stage the trainer reports.</summary>
    public static string SpanName(string stage) => stage switch
    {
        "loading" => "load",
        "training" => "fit",
        "evaluating" => "evaluate",
        "saving" => "save",
        _ => stage,
    };

    /// <summary>Ends the current stage's span and starts the next one (a repeated stage is ignored).</summary>
    public void Enter(string stage)
    {
        lock (_gate)
        {
            if (stage == _stage)
            {
                return;
            }

            EndCurrent(null);
            _stage = stage;
            var previous = Activity.Current;
            _current = DashAITelemetry.Source.StartActivity(SpanName(stage), ActivityKind.Internal, _parent, _tags);
            Activity.Current = previous;
            if (stage == "training")
            {
                _fitStarted = Stopwatch.GetTimestamp();
            }
        }
    }

    /// <summary>Marks the current stage's span as failed and ends it.</summary>
    public void Fail(Exception exception)
    {
        lock (_gate)
        {
            EndCurrent(exception);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            EndCurrent(null);
        }
    }

    private void EndCurrent(Exception? exception)
    {
        if (_stage == "training" && exception is null)
        {
            DashAITelemetry.FitDuration.Record(Stopwatch.GetElapsedTime(_fitStarted).TotalSeconds, _tags[3], _tags[4]);
        }

        if (_current is { } activity)
        {
            if (exception is not null)
            {
                activity.SetStatus(ActivityStatusCode.Error, exception.Message);
                activity.AddException(exception);
            }

            var previous = Activity.Current;
            activity.Stop();
            Activity.Current = previous;
        }

        _current = null;
        _stage = null;
    }
}

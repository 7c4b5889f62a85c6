using DashAI.Functions.Jobs;
using DashAI.Functions.Storage;

namespace DashAI.Functions.Predictions;

/// <summary>Batch prediction statuses, as the API shows them; changes go through <see cref="Lifecycle.PredictionTransitions"/>.</summary>
public static class PredictionStatus
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Finished = "finished";
    public const string Error = "error";
    public const string Cancelled = "cancelled";

    public static IReadOnlyList<string> All { get; } = [Queued, Running, Finished, Error, Cancelled];

    public static bool IsActive(string status) => status is Queued or Running;
}

/// <summary>
/// A batch prediction as stored in the <c>predictions</c> table: a run's model scoring a dataset (every row of its
/// original upload, in order) or an uploaded file (kept as <c>predictions/{id}/input</c>). The job of type
/// <see cref="JobTypes.Predict"/> writes <c>predictions/{id}/predictions.csv</c>.
/// </summary>
public sealed class PredictionEntity : EntityBase, DashAI.Functions.Jobs.IJobTarget
{
    public long RunId { get; set; }

    /// <summary>The dataset scored, or null when a file was uploaded.</summary>
    public long? DatasetId { get; set; }

    /// <summary>The uploaded file's name, when a file was uploaded.</summary>
    public string? FileName { get; set; }

    /// <summary>How the input is read: CSVDataLoader or JSONDataLoader.</summary>
    public string Dataloader { get; set; } = "";

    /// <summary>JSON: the dataloader parameters the input is read with.</summary>
    public string? DataloaderParams { get; set; }

    public long InputBytes { get; set; }

    public string Status { get; set; } = PredictionStatus.Queued;

    /// <summary>The job scoring it.</summary>
    public long? JobId { get; set; }

    public DateTimeOffset? StartTime { get; set; }

    public DateTimeOffset? EndTime { get; set; }

    /// <summary>While running: refreshed by the attempt with the rows scored so far.</summary>
    public DateTimeOffset? Heartbeat { get; set; }

    bool DashAI.Functions.Jobs.IJobTarget.IsWorking => Status == PredictionStatus.Running;

    /// <summary>Rows scored so far (while running) or in all (finished).</summary>
    public long RowsScored { get; set; }

    /// <summary>JSON: the columns the predictions file adds after the input's.</summary>
    public string? PredictionColumns { get; set; }

    /// <summary>JSON: columns of the input the model ignored.</summary>
    [LargeJson]
    public string? Warnings { get; set; }

    /// <summary>Why it ended in error.</summary>
    public string? Error { get; set; }

    public long OutputBytes { get; set; }

    /// <summary>
    /// Ends the prediction on behalf of job <paramref name="jobId"/>; false (nothing changed) when it no longer belongs
    /// to that job or has already ended.
    /// </summary>
    public bool EndFor(long jobId, string status, string? error, DateTimeOffset now)
    {
        var what = status switch
        {
            PredictionStatus.Finished => PredictionEvent.Finish,
            PredictionStatus.Error => PredictionEvent.Fail,
            PredictionStatus.Cancelled => PredictionEvent.Cancel,
            _ => throw new ArgumentOutOfRangeException(nameof(status), status, "not a final status"),
        };
        if (JobId != jobId || !Lifecycle.Allows(Status, what))
        {
            return false;
        }

        Status = Lifecycle.Next(Status, what);
        Error = error;
        EndTime = now;
        Heartbeat = null;
        return true;
    }
}

/// <summary>Blob names of a prediction's files in the predictions container.</summary>
public static class PredictionBlobs
{
    public static string Prefix(long predictionId) => $"{predictionId}/";

    /// <summary>An uploaded input file, byte for byte.</summary>
    public static string Input(long predictionId) => $"{predictionId}/input";

    public static string Output(long predictionId) => $"{predictionId}/predictions.csv";
}

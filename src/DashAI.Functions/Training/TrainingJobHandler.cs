using DashAI.Functions.Jobs;
using DashAI.Functions.Runs;
using DashAI.Functions.Search;
using DashAI.Functions.Storage;
using DashAI.Functions.Telemetry;

namespace DashAI.Functions.Training;

/// <summary>
/// Training jobs (type 0): the target is the run. The run goes STARTED when an attempt claims its job, shows its
/// stage on every heartbeat, and becomes FINISHED only once its model is uploaded and its metrics are written.
/// A tuned run's job starts its search instead and waits on its trials (<see cref="SearchCoordinator"/>).
/// </summary>
public sealed class TrainingJobHandler(Stores stores, IRunTrainer trainer, TimeProvider time, SearchCoordinator search) : IJobHandler
{
    public int Type => JobTypes.Train;

    public string Noun => "Run";

    public string Doing => "training";

    public long TargetOf(JobEntity job) => job.RunId;

    public async Task<string?> StartAsync(JobEntity job, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var refusal = "The run changed before training started.";
        var run = await stores.Runs.ChangeAsync(
            job.RunId,
            r =>
            {
                if (r.JobId != job.Id || !Lifecycle.Allows(r.RunStatus, RunEvent.Start))
                {
                    refusal = $"The run is no longer waiting for job {job.Id}.";
                    return false;
                }

                r.Status = (int)Lifecycle.Next(r.RunStatus, RunEvent.Start);
                r.StartTime = now;
                r.Heartbeat = now;
                r.Stage = TrainingStages.Loading;
                r.Error = null;
                return true;
            },
            cancellationToken);
        if (run is not null)
        {
            return null;
        }

        return await stores.Runs.FindAsync(job.RunId, cancellationToken) is null ? "The run was deleted." : refusal;
    }

    public async Task<JobResult> ExecuteAsync(JobContext context, CancellationToken cancellationToken)
    {
        var job = context.Job;
        var progress = context.Progress;
        TrainingSpans? spans = null;
        try
        {
            var run = await stores.Runs.GetAsync(job.RunId, cancellationToken);
            var experiment = await stores.Experiments.FindAsync(run.ExperimentId, cancellationToken)
                ?? throw new PermanentJobException($"Experiment {run.ExperimentId} no longer exists.");
            var dataset = await stores.Datasets.FindAsync(experiment.DatasetId, cancellationToken)
                ?? throw new PermanentJobException($"Dataset {experiment.DatasetId} no longer exists.");

            context.LogScope["DatasetId"] = dataset.Id;
            context.LogScope["Model"] = run.ModelName;
            context.LogScope["Task"] = experiment.TaskName;
            if (SearchCoordinator.IsTuned(run))
            {
                // The heartbeat writes the attempt's stage on the run until the job waits.
                progress.Stage = SearchStages.Searching;
                return await search.StartAsync(run, experiment, job, cancellationToken);
            }

            spans = new TrainingSpans(run.Id, job.Id, dataset.Id, run.ModelName, experiment.TaskName);
            var trained = await trainer.TrainAsync(
                new TrainingWork(run, experiment, dataset, context.WorkDirectory), stage => spans.Enter(progress.Stage = stage), cancellationToken);

            spans.Enter(progress.Stage = TrainingStages.Saving);
            cancellationToken.ThrowIfCancellationRequested();

            // The name is fixed, so a retried attempt overwrites instead of leaving a second model behind.
            var modelBlob = RunFiles.ModelBlobName(run.Id);
            await stores.Storage.Container(stores.Storage.Names.ModelsContainer).GetBlobClient(modelBlob)
                .UploadAsync(trained.ModelPath, StorageContext.FileUpload(overwrite: true), cancellationToken);

            var finished = await stores.Runs.ChangeAsync(
                run.Id,
                r =>
                {
                    if (r.JobId != job.Id || !Lifecycle.Allows(r.RunStatus, RunEvent.Finish))
                    {
                        return false;
                    }

                    r.TrainMetrics = RunMetrics.Write(trained.TrainMetrics);
                    r.ValidationMetrics = RunMetrics.Write(trained.ValidationMetrics);
                    r.TestMetrics = RunMetrics.Write(trained.TestMetrics);
                    r.Artifacts = trained.Artifacts.ToJsonString();
                    r.RunPath = $"{stores.Storage.Names.ModelsContainer}/{modelBlob}";
                    r.DatasetSha256 = dataset.Sha256;
                    r.Status = (int)Lifecycle.Next(r.RunStatus, RunEvent.Finish);
                    r.EndTime = time.GetUtcNow();
                    r.Stage = null;
                    r.Heartbeat = null;
                    return true;
                },
                cancellationToken);
            return finished is null ? JobResult.Changed("The run changed while training.") : JobResult.Succeeded;
        }
        catch (Exception e)
        {
            spans?.Fail(e);
            throw;
        }
        finally
        {
            spans?.Dispose();
        }
    }

    public async Task BeatAsync(JobEntity job, JobProgress progress, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var stage = progress.Stage;
        await stores.Runs.BeatAsync(job.RunId, job, now, r => r.Stage = stage, cancellationToken);
    }

    public async Task EndAsync(JobEntity job, JobEnd end, string? reason, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var run = await stores.Runs.ChangeAsync(job.RunId, r => r.EndFor(job.Id, end == JobEnd.Cancelled ? RunStatus.Cancelled : RunStatus.Error, reason, now), cancellationToken);
        if (run is not null && SearchCoordinator.IsTuned(run))
        {
            // A search that ended stops its pending trials.
            await search.CancelTrialsAsync(run.Id, job.Id, cancellationToken);
        }
    }

    public async Task ReleaseAsync(JobEntity job, CancellationToken cancellationToken) =>
        await stores.Runs.ReleaseAsync(job.RunId, job, cancellationToken);

    public void RecordEnded(string status, string? errorKind) => DashAITelemetry.RecordRunEnded(status, errorKind);

    /// <summary>A searching run's job waits on its trials: their lost messages are sent again.</summary>
    public Task<int> RecoverWaitingAsync(JobEntity job, CancellationToken cancellationToken) =>
        search.RecoverTrialsAsync(job.RunId, job.Id, cancellationToken);
}

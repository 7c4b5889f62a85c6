using System.Globalization;
using System.Text.Json.Nodes;
using Azure;
using Azure.Data.Tables;
using DashAI.Functions.Datasets;
using DashAI.Functions.Experiments;
using DashAI.Functions.Jobs;
using DashAI.Functions.Runs;
using DashAI.Functions.Storage;
using DashAI.Functions.Training;
using DashAI.ML;
using DashAI.ML.Data;
using DashAI.ML.Optimization;
using DashAI.Functions.Telemetry;
using Microsoft.Extensions.Logging;

namespace DashAI.Functions.Search;

/// <summary>The stages a searching run shows.</summary>
public static class SearchStages
{
    public const string Searching = "searching";
    public const string Refitting = "refitting";
}

/// <summary>
/// Drives the search of a tuned run over the job queue. The run's training job starts it (creates the first
/// <c>parallelism</c> trials, then waits); every trial that ends advances it: the run's progress is recomputed from
/// the trials table, and the next trials are sampled from the history and created. Every step is idempotent, so a
/// redelivered or duplicate message repeats it harmlessly: trial N of a search is created once (its unique name),
/// a trial is counted once (it reaches a final status once), and one trial job wins the refit.
/// </summary>
public sealed partial class SearchCoordinator(Stores stores, IRunTrainer trainer, TimeProvider time, ILogger<SearchCoordinator> logger)
{
    /// <summary>A queued trial job older than this whose trial has not started gets its message sent again.</summary>
    private static readonly TimeSpan ResendQueuedAfter = TimeSpan.FromMinutes(2);

    /// <summary>Whether a run is tuned (it has an optimizer).</summary>
    public static bool IsTuned(RunEntity run) => run.Optimizer is not null;

    /// <summary>The plan of a tuned run: its fixed parameters with its optimize specs in place, and its optimizer.</summary>
    public static SearchPlan PlanFor(RunEntity run, string taskName)
    {
        var parameters = JsonNode.Parse(run.Parameters) as JsonObject ?? [];
        if (run.SearchSpace is not null && JsonNode.Parse(run.SearchSpace) is JsonObject specs)
        {
            foreach (var (name, spec) in specs)
            {
                parameters[name] = spec?.DeepClone();
            }
        }

        return SearchPlan.Validate(run.ModelName, taskName, parameters, JsonNode.Parse(run.Optimizer ?? "null") as JsonObject);
    }

    /// <summary>
    /// Starts the search of a tuned run for its training job: records the trial count, creates the first trials and
    /// returns <see cref="JobResult.Waiting"/> (the last trial finishes the job). An invalid plan is the user's to fix.
    /// </summary>
    public async Task<JobResult> StartAsync(RunEntity run, ExperimentEntity experiment, JobEntity job, CancellationToken cancellationToken)
    {
        var plan = PlanFor(run, experiment.TaskName);
        var started = await stores.Runs.ChangeAsync(
            run.Id,
            r =>
            {
                if (r.JobId != job.Id || r.RunStatus != RunStatus.Started)
                {
                    return false;
                }

                r.TrialsTotal = plan.Optimizer.Trials;
                r.TrialsDone ??= 0;
                r.Stage = SearchStages.Searching;
                r.Heartbeat = null;
                return true;
            },
            cancellationToken);
        if (started is null)
        {
            return JobResult.Changed("The run changed before its search started.");
        }

        LogSearchStarted(logger, run.Id, plan.Optimizer.Name, plan.Optimizer.Trials, plan.Optimizer.Parallelism);
        await AdvanceAsync(run.Id, job.Id, callerJobId: job.Id, cancellationToken);
        return JobResult.Waiting;
    }

    /// <summary>Every trial of one search, by number. Access pattern: one partition scan filtered on run and search job.</summary>
    public async Task<List<TrialEntity>> ListTrialsAsync(long runId, long searchJobId, CancellationToken cancellationToken)
    {
        var trials = await stores.Trials.ListAsync(TableClient.CreateQueryFilter($"RunId eq {runId} and SearchJobId eq {searchJobId}"), cancellationToken);
        return [.. trials.OrderBy(t => t.Number)];
    }

    /// <summary>
    /// Brings the search up to date after a trial ended (or at its start): progress on the run, the refit when every
    /// trial is done, otherwise new trials up to <c>parallelism</c> in flight. Does nothing once the run is no longer
    /// searching for <paramref name="searchJobId"/> (cancelled, failed, re-queued or finished).
    /// </summary>
    public async Task AdvanceAsync(long runId, long searchJobId, long callerJobId, CancellationToken cancellationToken)
    {
        var run = await stores.Runs.FindAsync(runId, cancellationToken);
        if (run is null || run.JobId != searchJobId || run.RunStatus != RunStatus.Started)
        {
            return;
        }

        var experiment = await stores.Experiments.FindAsync(run.ExperimentId, cancellationToken)
            ?? throw new PermanentJobException($"Experiment {run.ExperimentId} no longer exists.");
        var plan = PlanFor(run, experiment.TaskName);
        var settings = plan.Optimizer;
        var trials = await ListTrialsAsync(runId, searchJobId, cancellationToken);
        var done = trials.Where(t => TrialStatus.CountsAsDone(t.Status)).ToList();
        var best = BestOf(trials, settings.Direction);

        await stores.Runs.ChangeAsync(
            runId,
            r =>
            {
                // Counts only grow: a slower writer with an older view of the trials changes nothing.
                if (r.JobId != searchJobId || r.RunStatus != RunStatus.Started || (r.TrialsDone ?? 0) > done.Count)
                {
                    return false;
                }

                r.TrialsDone = done.Count;
                r.BestValue = best?.Value;
                r.BestTrialId = best?.Id;
                r.BestParameters = best?.Parameters;
                return true;
            },
            cancellationToken);

        if (done.Count >= settings.Trials)
        {
            await FinishAsync(run, experiment, plan, best, trials, callerJobId, cancellationToken);
            return;
        }

        var history = trials
            .Where(t => t.Value is { } v && double.IsFinite(v) && t.Status is TrialStatus.Finished or TrialStatus.Stopped)
            .Select(t => new CompletedTrial(JsonNode.Parse(t.Parameters)!.AsObject(), t.Value!.Value))
            .ToList();
        var sampler = settings.CreateSampler();
        var existing = trials.Select(t => t.Number).ToHashSet();
        // In flight = created − done ≤ parallelism; a stale view has fewer done trials, so it creates fewer, never more.
        var limit = Math.Min(settings.Trials, done.Count + settings.Parallelism);
        for (var number = 0; number < limit; number++)
        {
            if (existing.Contains(number))
            {
                continue;
            }

            var sampled = sampler.Sample(plan.Space, history, settings.Direction, settings.Seed, number);
            await CreateTrialAsync(run, searchJobId, number, sampled, cancellationToken);
        }

        // A trial whose job or message was lost between its creation steps gets them again.
        await EnsureQueuedTrialsAsync(trials, cancellationToken);
    }

    /// <summary>
    /// Stale recovery for a searching run (its job waits on the trials): a queued trial whose job is missing, or
    /// whose job has waited unclaimed for longer than a message takes, gets its job and message again. Needed when
    /// the trial created last lost its message: no other trial would end and send it. Returns the messages sent.
    /// </summary>
    public async Task<int> RecoverTrialsAsync(long runId, long searchJobId, CancellationToken cancellationToken)
    {
        var run = await stores.Runs.FindAsync(runId, cancellationToken);
        if (run is null || run.JobId != searchJobId || run.RunStatus != RunStatus.Started)
        {
            return 0;
        }

        return await EnsureQueuedTrialsAsync(await ListTrialsAsync(runId, searchJobId, cancellationToken), cancellationToken);
    }

    private async Task<int> EnsureQueuedTrialsAsync(List<TrialEntity> trials, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var sent = 0;
        foreach (var trial in trials.Where(t => t.Status == TrialStatus.Queued))
        {
            sent += await EnsureJobAsync(trial, now, cancellationToken) ? 1 : 0;
        }

        return sent;
    }

    /// <summary>Ends the pending trials of a search that ended (cancelled, failed): queued ones at once, running ones at their next check.</summary>
    public async Task CancelTrialsAsync(long runId, long searchJobId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        foreach (var trial in await ListTrialsAsync(runId, searchJobId, cancellationToken))
        {
            if (TrialStatus.IsFinal(trial.Status))
            {
                continue;
            }

            if (trial.JobId is { } jobId)
            {
                await stores.Jobs.ChangeAsync(
                    jobId,
                    j =>
                    {
                        if (j.Status == JobStatus.Queued)
                        {
                            return j.Finish(JobStatus.Cancelled, "The search was cancelled.", now);
                        }

                        if (j.Status == JobStatus.Running && !j.CancelRequested)
                        {
                            j.CancelRequested = true;
                            return true;
                        }

                        return false;
                    },
                    cancellationToken);
            }

            if (trial.Status == TrialStatus.Queued)
            {
                await stores.Trials.ChangeAsync(trial.Id, t => t.Apply(TrialEvent.Cancel, now), cancellationToken);
            }
        }
    }

    /// <summary>The best full (not stopped) trial: highest or lowest value, the earlier on ties.</summary>
    public static TrialEntity? BestOf(IEnumerable<TrialEntity> trials, OptimizationDirection direction)
    {
        TrialEntity? best = null;
        foreach (var trial in trials.Where(t => t.Status == TrialStatus.Finished && t.Value is { } v && double.IsFinite(v)).OrderBy(t => t.Number))
        {
            if (SequentialSearch.IsBetter(trial.Value!.Value, best?.Value, direction))
            {
                best = trial;
            }
        }

        return best;
    }

    private async Task CreateTrialAsync(RunEntity run, long searchJobId, int number, JsonObject sampled, CancellationToken cancellationToken)
    {
        TrialEntity trial;
        try
        {
            trial = await stores.Trials.CreateAsync(
                new TrialEntity { RunId = run.Id, SearchJobId = searchJobId, Number = number, Parameters = sampled.ToJsonString() },
                cancellationToken);
        }
        catch (DuplicateNameException)
        {
            // Another finished trial created this one first.
            return;
        }

        await EnsureJobAsync(trial, null, cancellationToken);
    }

    /// <summary>
    /// Gives a queued trial its job and message. The job's id is reserved and written on the trial first (one writer
    /// wins the trial's ETag; a loser leaves only an unused number), then the job is created under that id and its
    /// message sent; a trial whose job is missing (its creator died in between) gets it created under the same id,
    /// and a job queued for long gets its message again. Returns whether it sent a message.
    /// </summary>
    private async Task<bool> EnsureJobAsync(TrialEntity trial, DateTimeOffset? now, CancellationToken cancellationToken)
    {
        var jobId = trial.JobId;
        if (jobId is null)
        {
            var reserved = await stores.Jobs.NextIdAsync(cancellationToken);
            var owned = await stores.Trials.ChangeAsync(
                trial.Id,
                t =>
                {
                    if (t.JobId is not null || t.Status != TrialStatus.Queued)
                    {
                        return false;
                    }

                    t.JobId = reserved;
                    return true;
                },
                cancellationToken);
            if (owned is null)
            {
                return false;
            }

            jobId = reserved;
        }

        var job = await stores.Jobs.FindAsync(jobId.Value, cancellationToken);
        if (job is null)
        {
            try
            {
                job = await stores.Jobs.CreateAsync(
                    new JobEntity { Type = JobTypes.Trial, RunId = trial.RunId, TargetId = trial.Id, Status = JobStatus.Queued },
                    cancellationToken,
                    reservedId: jobId.Value);
            }
            catch (DuplicateNameException)
            {
                // Another writer created it at the same moment, and sends its message.
                return false;
            }

            await SendAsync(job, cancellationToken);
            return true;
        }

        if (now is { } at && job.Status == JobStatus.Queued && at - job.Created > ResendQueuedAfter)
        {
            await SendAsync(job, cancellationToken);
            return true;
        }

        return false;
    }

    private async Task SendAsync(JobEntity job, CancellationToken cancellationToken) =>
        await stores.Storage.Queue(stores.Storage.Names.TrainingQueueName).SendMessageAsync(JobMessage.For(job).ToJson(), cancellationToken);

    /// <summary>
    /// The last trial ended: one trial job (the first to write its id on the run, or the same one redelivered) refits
    /// the best parameters on train, evaluates them on every split, stores the model and metrics, and finishes the
    /// run — its parameters then hold the chosen values — and the run's job.
    /// </summary>
    private async Task FinishAsync(RunEntity run, ExperimentEntity experiment, SearchPlan plan, TrialEntity? best, List<TrialEntity> trials, long callerJobId, CancellationToken cancellationToken)
    {
        var searchJobId = run.JobId!.Value;
        var claimed = await stores.Runs.ChangeAsync(
            run.Id,
            r =>
            {
                if (r.JobId != searchJobId || r.RunStatus != RunStatus.Started || (r.RefitJobId is { } owner && owner != callerJobId))
                {
                    return false;
                }

                r.RefitJobId = callerJobId;
                r.Stage = SearchStages.Refitting;
                return true;
            },
            cancellationToken);
        if (claimed is null)
        {
            return;
        }

        if (best is null)
        {
            var reason = "Every trial of the search failed" + (trials.FirstOrDefault(t => t.Error is not null)?.Error is { } first ? $": {first}" : ".");
            await EndSearchAsync(run.Id, searchJobId, RunStatus.Error, reason, cancellationToken);
            return;
        }

        var parameters = plan.TrialParameters(JsonNode.Parse(best.Parameters)!.AsObject());
        var dataset = await stores.Datasets.FindAsync(experiment.DatasetId, cancellationToken)
            ?? throw new PermanentJobException($"Dataset {experiment.DatasetId} no longer exists.");
        var workDirectory = Path.Combine(Path.GetTempPath(), "dashai-work", $"refit-{run.Id}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(workDirectory);
        try
        {
            var refitRun = new RunEntity
            {
                Id = run.Id, ExperimentId = run.ExperimentId, ModelName = run.ModelName, Seed = run.Seed,
                Parameters = parameters.ToJsonString(),
            };
            TrainedRun trained;
            try
            {
                trained = await trainer.TrainAsync(new TrainingWork(refitRun, experiment, dataset, workDirectory), _ => { }, cancellationToken);
            }
            catch (Exception e) when (e is InvalidInputException or PermanentJobException)
            {
                await EndSearchAsync(run.Id, searchJobId, RunStatus.Error, $"The refit of the best parameters failed: {e.Message}", cancellationToken);
                return;
            }

            var modelBlob = RunFiles.ModelBlobName(run.Id);
            await stores.Storage.Container(stores.Storage.Names.ModelsContainer).GetBlobClient(modelBlob)
                .UploadAsync(trained.ModelPath, StorageContext.FileUpload(overwrite: true), cancellationToken);
            var now = time.GetUtcNow();
            var finished = await stores.Runs.ChangeAsync(
                run.Id,
                r =>
                {
                    if (r.JobId != searchJobId || r.RefitJobId != callerJobId || !Lifecycle.Allows(r.RunStatus, RunEvent.Finish))
                    {
                        return false;
                    }

                    // The run now holds what its model trained with; the specs stay under search_space.
                    r.Parameters = parameters.ToJsonString();
                    r.TrainMetrics = RunMetrics.Write(trained.TrainMetrics);
                    r.ValidationMetrics = RunMetrics.Write(trained.ValidationMetrics);
                    r.TestMetrics = RunMetrics.Write(trained.TestMetrics);
                    r.Artifacts = trained.Artifacts.ToJsonString();
                    r.RunPath = $"{stores.Storage.Names.ModelsContainer}/{modelBlob}";
                    r.DatasetSha256 = dataset.Sha256;
                    r.Status = (int)Lifecycle.Next(r.RunStatus, RunEvent.Finish);
                    r.EndTime = now;
                    r.Stage = null;
                    r.Heartbeat = null;
                    return true;
                },
                cancellationToken);
            if (finished is not null)
            {
                await stores.Jobs.ChangeAsync(searchJobId, j => JobStatus.IsActive(j.Status) && j.Finish(JobStatus.Succeeded, null, now), cancellationToken);
                DashAITelemetry.RecordRunEnded("finished", null, search: true);
                LogSearchFinished(logger, run.Id, best.Number, best.Value ?? double.NaN);
            }
        }
        finally
        {
            try
            {
                Directory.Delete(workDirectory, recursive: true);
            }
            catch (IOException)
            {
                // Temp space; the OS reclaims it.
            }
        }
    }

    /// <summary>Ends a search's run in ERROR or CANCELLED with its job, and its pending trials.</summary>
    public async Task EndSearchAsync(long runId, long searchJobId, RunStatus status, string? reason, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (await stores.Runs.ChangeAsync(runId, r => r.EndFor(searchJobId, status, reason, now), cancellationToken) is not null)
        {
            // Counted once: only the writer that ended the run.
            DashAITelemetry.RecordRunEnded(status == RunStatus.Cancelled ? "cancelled" : "error", status == RunStatus.Cancelled ? null : "permanent", search: true);
        }

        var jobStatus = status == RunStatus.Cancelled ? JobStatus.Cancelled : JobStatus.Failed;
        await stores.Jobs.ChangeAsync(searchJobId, j => JobStatus.IsActive(j.Status) && j.Finish(jobStatus, reason, now), cancellationToken);
        await CancelTrialsAsync(runId, searchJobId, cancellationToken);
        LogSearchEnded(logger, runId, status.ToString(), reason ?? "");
    }

    /// <summary>Copies a dataset's splits to <paramref name="directory"/>; a missing split is the user's to fix (upload again).</summary>
    public async Task<Dictionary<string, string>> DownloadSplitsAsync(DatasetEntity dataset, string directory, IEnumerable<string> splits, CancellationToken cancellationToken)
    {
        var container = stores.Storage.Container(stores.Storage.Names.DatasetsContainer);
        var paths = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var split in splits)
        {
            var path = Path.Combine(directory, split + ".csv");
            try
            {
                await container.GetBlobClient(DatasetBlobs.Split(dataset.Id, split)).DownloadToAsync(path, cancellationToken);
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                throw new PermanentJobException($"The {split} split of dataset {dataset.Id} is missing; upload the dataset again.", e);
            }

            paths[split] = path;
        }

        return paths;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} search started: {Optimizer}, {Trials} trials, {Parallelism} in flight")]
    private static partial void LogSearchStarted(ILogger logger, long runId, string optimizer, int trials, int parallelism);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} search finished: trial {Trial} was best ({Value})")]
    private static partial void LogSearchFinished(ILogger logger, long runId, int trial, double value);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId} search ended {Status}: {Reason}")]
    private static partial void LogSearchEnded(ILogger logger, long runId, string status, string reason);
}

/// <summary>Successive halving over the trials table: a trial's value at a rung is stored on it, and compared with every trial's at that rung.</summary>
internal sealed class TableRungJudge(Stores stores, SearchCoordinator search, TrialEntity trial, OptimizationDirection direction) : IRungJudge
{
    public SuccessiveHalving Halving { get; } = new();

    public async ValueTask<bool> ContinueAsync(int rounds, double value, CancellationToken cancellationToken)
    {
        var key = rounds.ToString(CultureInfo.InvariantCulture);
        await stores.Trials.ChangeAsync(
            trial.Id,
            t =>
            {
                var rungs = JsonNode.Parse(t.Rungs ?? "{}") as JsonObject ?? [];
                rungs[key] = value;
                t.Rungs = rungs.ToJsonString();
                return true;
            },
            cancellationToken);
        var values = new List<double>();
        foreach (var other in await search.ListTrialsAsync(trial.RunId, trial.SearchJobId, cancellationToken))
        {
            if (other.Rungs is not null && JsonNode.Parse(other.Rungs) is JsonObject rungs && rungs[key] is JsonValue v && v.TryGetValue<double>(out var reported))
            {
                values.Add(reported);
            }
        }

        return Halving.Continues(value, values, direction);
    }
}

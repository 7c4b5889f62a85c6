using System.Globalization;
using System.Text.Json.Nodes;
using DashAI.Functions.Datasets;
using DashAI.Functions.Jobs;
using DashAI.Functions.Runs;
using DashAI.Functions.Storage;
using DashAI.Functions.Training;
using DashAI.ML.Data;
using DashAI.ML.Optimization;
using DashAI.ML.Training;
using Microsoft.Extensions.Options;

namespace DashAI.Functions.Search;

/// <summary>
/// Trial jobs (type 3): the target is a trial. An attempt fits the trial's parameters on the training split and scores
/// them on validation (at the rungs of successive halving first, for boosted models), records the result on the trial,
/// and advances the search. A delivery that finds its trial already recorded (the attempt died after recording it)
/// only advances the search, so a trial is fitted and counted once.
/// </summary>
public sealed class TrialJobHandler(Stores stores, SearchCoordinator search, IOptions<TrainingOptions> options, TimeProvider time) : IJobHandler
{
    public int Type => JobTypes.Trial;

    public string Noun => "Trial";

    public string Doing => "the trial";

    public long TargetOf(JobEntity job) => job.TargetId ?? 0;

    public async Task<string?> StartAsync(JobEntity job, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var refusal = $"The trial is no longer waiting for job {job.Id}.";
        var trial = await stores.Trials.ChangeAsync(
            TargetOf(job),
            t =>
            {
                if (t.JobId != job.Id)
                {
                    return false;
                }

                // A trial already recorded starts nothing: the attempt only advances its search.
                return TrialStatus.IsFinal(t.Status) || t.Apply(TrialEvent.Start, now);
            },
            cancellationToken);
        if (trial is not null)
        {
            return trial.Status == TrialStatus.Cancelled ? "The trial's search was cancelled." : null;
        }

        return await stores.Trials.FindAsync(TargetOf(job), cancellationToken) is null ? "The trial was deleted." : refusal;
    }

    public async Task<JobResult> ExecuteAsync(JobContext context, CancellationToken cancellationToken)
    {
        var job = context.Job;
        var trial = await stores.Trials.GetAsync(TargetOf(job), cancellationToken);
        context.LogScope["TrialNumber"] = trial.Number;
        var run = await stores.Runs.FindAsync(trial.RunId, cancellationToken);
        if (run is null || run.JobId != trial.SearchJobId || run.RunStatus != RunStatus.Started)
        {
            await stores.Trials.ChangeAsync(trial.Id, t => t.Apply(TrialEvent.Cancel, time.GetUtcNow()), cancellationToken);
            return JobResult.Changed($"The search of run {trial.RunId} has ended.");
        }

        if (!TrialStatus.IsFinal(trial.Status))
        {
            await FitAsync(context, trial, run, cancellationToken);
        }

        await search.AdvanceAsync(trial.RunId, trial.SearchJobId, job.Id, cancellationToken);
        return JobResult.Succeeded;
    }

    private async Task FitAsync(JobContext context, TrialEntity trial, RunEntity run, CancellationToken cancellationToken)
    {
        var experiment = await stores.Experiments.FindAsync(run.ExperimentId, cancellationToken)
            ?? throw new PermanentJobException($"Experiment {run.ExperimentId} no longer exists.");
        var dataset = await stores.Datasets.FindAsync(experiment.DatasetId, cancellationToken)
            ?? throw new PermanentJobException($"Dataset {experiment.DatasetId} no longer exists.");
        var schema = DatasetSchemaJson.FromEntity(dataset)
            ?? throw new PermanentJobException($"Dataset {dataset.Id} has no processed splits; upload it again.");
        var plan = SearchCoordinator.PlanFor(run, experiment.TaskName);
        context.LogScope["Model"] = run.ModelName;
        context.Progress.Stage = TrainingStages.Loading;
        var paths = await search.DownloadSplitsAsync(dataset, context.WorkDirectory, [SplitNames.Train, SplitNames.Validation], cancellationToken);
        var request = new TrainingRequest(experiment.TaskName, run.ModelName, plan.Fixed, schema, paths[SplitNames.Train], paths[SplitNames.Validation], paths[SplitNames.Validation], run.Seed)
        {
            InstanceMemoryBytes = options.Value.InstanceMemoryBytes(),
        };
        var parameters = plan.TrialParameters(JsonNode.Parse(trial.Parameters)!.AsObject());
        var judge = new TableRungJudge(stores, search, trial, plan.Optimizer.Direction);

        // ML.NET fits synchronously and uses every core: run it off the invocation's thread.
        var outcome = await Task.Run(
            async () =>
            {
                var evaluator = TrialEvaluator.Prepare(request, cancellationToken);
                context.Progress.Stage = TrainingStages.Training;
                return await evaluator.EvaluateAsync(parameters, plan.Optimizer.Metric, judge, cancellationToken);
            },
            cancellationToken);

        var now = time.GetUtcNow();
        await stores.Trials.ChangeAsync(
            trial.Id,
            t =>
            {
                if (t.JobId != context.Job.Id || !t.Apply(outcome.Stopped ? TrialEvent.Stop : TrialEvent.Finish, now))
                {
                    return false;
                }

                t.Value = outcome.Value;
                t.FitSeconds = Math.Round(outcome.FitSeconds, 3);
                t.ValidationMetrics = outcome.Stopped ? null : new JsonObject(outcome.ValidationMetrics.Select(m => KeyValuePair.Create(m.Key, (JsonNode?)m.Value))).ToJsonString();
                var rungs = new JsonObject();
                foreach (var rung in outcome.Rungs)
                {
                    rungs[rung.Rounds.ToString(CultureInfo.InvariantCulture)] = rung.Value;
                }

                t.Rungs = rungs.ToJsonString();
                return true;
            },
            cancellationToken);
    }

    public async Task BeatAsync(JobEntity job, JobProgress progress, DateTimeOffset now, CancellationToken cancellationToken) =>
        await stores.Trials.BeatAsync(TargetOf(job), job, now, null, cancellationToken);

    /// <summary>A failed trial counts as done (the search goes on without it); a cancelled one belongs to a search that ended.</summary>
    public async Task EndAsync(JobEntity job, JobEnd end, string? reason, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var trial = await stores.Trials.ChangeAsync(
            TargetOf(job),
            t =>
            {
                if (t.JobId != job.Id || !t.Apply(end == JobEnd.Cancelled ? TrialEvent.Cancel : TrialEvent.Fail, now))
                {
                    return false;
                }

                t.Error = reason;
                return true;
            },
            cancellationToken);
        if (trial is not null && end == JobEnd.Error)
        {
            await search.AdvanceAsync(trial.RunId, trial.SearchJobId, job.Id, cancellationToken);
        }
    }

    public async Task ReleaseAsync(JobEntity job, CancellationToken cancellationToken) =>
        await stores.Trials.ReleaseAsync(TargetOf(job), job, cancellationToken);

    public void RecordEnded(string status, string? errorKind)
    {
        // Trials are not runs: the runs_ended counter counts the run when its search ends.
    }
}

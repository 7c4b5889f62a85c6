using Azure.Data.Tables;
using DashAI.Functions.Http;
using DashAI.Functions.OpenApi;
using DashAI.Functions.Runs;
using DashAI.Functions.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace DashAI.Functions.Jobs;

/// <summary>Job endpoints: send a run to train, list and read jobs, cancel a job.</summary>
public sealed partial class JobFunctions(Stores stores, RunFiles runFiles, JobWorker worker, TimeProvider time, ILogger<JobFunctions> logger)
{
    [Function("EnqueueRun")]
    [ApiOperation("Send a run to train: creates a job and queues it", Status = 201, Response = typeof(JobDto), Query = typeof(EnqueueQuery), Errors = [400, 404, 409])]
    public async Task<IResult> Enqueue(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "job/runner")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var input = await RequestInput.ReadAsync(request, ["run_id"], cancellationToken);
        var runId = input.RequireLong("run_id");
        var run = await stores.Runs.GetAsync(runId, cancellationToken);
        await ThrowIfRunHasActiveJobAsync(run, cancellationToken);

        // Queuing resets the run's results; its files from an earlier training go once that reset is final.
        var staleFiles = run.RunStatus is RunStatus.NotStarted ? null : await runFiles.CaptureAsync(run.Id, cancellationToken);
        var job = await stores.Jobs.CreateAsync(new JobEntity { Type = JobTypes.Train, RunId = run.Id, Status = JobStatus.Queued }, cancellationToken);

        // The run's ETag is the lock between concurrent enqueues of one run: exactly one of them moves it to DELIVERED.
        var previous = Snapshot(run);
        run.Enqueue(job.Id, time.GetUtcNow());
        try
        {
            run = await stores.Runs.UpdateAsync(run, run.ETag, null, cancellationToken);
        }
        catch (StaleEntityException)
        {
            await stores.Jobs.ChangeAsync(job.Id, j => Finish(j, JobStatus.Cancelled, "Lost the race to another enqueue of the same run."), cancellationToken);
            var current = await stores.Runs.GetAsync(runId, cancellationToken);
            await ThrowIfRunHasActiveJobAsync(current, cancellationToken);
            throw new ConflictException($"Run {runId} changed while it was being queued; try again.");
        }

        try
        {
            await worker.SendAsync(job, cancellationToken);
        }
        catch (Exception e)
        {
            // Without its message the run would wait forever: put it back as it was and fail the job.
            LogEnqueueFailed(logger, e, run.Id, job.Id);
            await stores.Runs.ChangeAsync(run.Id, r => r.JobId == job.Id && Restore(r, previous), cancellationToken);
            await stores.Jobs.ChangeAsync(job.Id, j => Finish(j, JobStatus.Failed, "The training queue could not be reached."), cancellationToken);
            throw;
        }

        // Only now is the reset final (a failed send above puts the old results back); a model the new training
        // saves in the meantime is a newer version than the one captured, so it stays.
        if (staleFiles is not null)
        {
            await runFiles.DeleteCapturedAsync(staleFiles, cancellationToken);
        }

        LogEnqueued(logger, run.Id, job.Id);
        job = await stores.Jobs.GetAsync(job.Id, cancellationToken);
        return ApiResults.Created($"/api/v1/job/{job.Id}", JobDto.From(job), job.ETag);
    }

    [Function("ListJobs")]
    [ApiOperation("List jobs oldest first (the active ones unless status says otherwise)", Response = typeof(JobDto[]), Query = typeof(JobListQuery), Errors = [400])]
    public async Task<IResult> List(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "job")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var status = request.Query["status"].ToString();
        string? filter;
        if (string.IsNullOrEmpty(status))
        {
            filter = TableClient.CreateQueryFilter($"Status eq {JobStatus.Queued} or Status eq {JobStatus.Running}");
        }
        else if (status == "all")
        {
            filter = null;
        }
        else if (JobStatus.All.Contains(status))
        {
            filter = TableClient.CreateQueryFilter($"Status eq {status}");
        }
        else
        {
            throw new BadRequestException($"Unknown job status '{status}': use one of {string.Join(", ", JobStatus.All)} or all.");
        }

        // Ids grow with creation time, so id order is oldest first.
        return await PageRequest.From(request).ListAsync(request, stores.Jobs, filter, JobDto.From, cancellationToken);
    }

    [Function("GetJob")]
    [ApiOperation("Read a job", Response = typeof(JobDto), Errors = [400, 404])]
    public async Task<IResult> Get(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "job/{id}")] HttpRequest request,
        string id,
        CancellationToken cancellationToken)
    {
        var job = await stores.Jobs.GetAsync(RequestInput.ParseId(id), cancellationToken);
        return ApiResults.Ok(JobDto.From(job), job.ETag);
    }

    [Function("CancelJob")]
    [ApiOperation("Cancel a job: a queued one at once (200), a running one at its next check (202)", Response = typeof(JobDto), AlsoStatus = 202, Errors = [400, 404, 409])]
    public async Task<IResult> Cancel(
        [HttpTrigger(AuthorizationLevel.Function, "delete", Route = "job/{id}")] HttpRequest request,
        string id,
        CancellationToken cancellationToken)
    {
        await RequestInput.ReadAsync(request, [], cancellationToken);
        return await CancelAsync(RequestInput.ParseId(id), cancellationToken);
    }

    /// <summary>The thesis form: <c>DELETE /job?job_id=N</c>.</summary>
    [Function("CancelJobByQuery")]
    [ApiOperation("Cancel a job, thesis form (DELETE /job?job_id=N)", Response = typeof(JobDto), AlsoStatus = 202, Query = typeof(CancelJobQuery), Errors = [400, 404, 409])]
    public async Task<IResult> CancelByQuery(
        [HttpTrigger(AuthorizationLevel.Function, "delete", Route = "job")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var input = await RequestInput.ReadAsync(request, ["job_id"], cancellationToken);
        var jobId = input.RequireLong("job_id");

        // The same check as the path form's id, so DELETE /job/0 and DELETE /job?job_id=0 answer alike.
        return await CancelAsync(jobId > 0 ? jobId : RequestInput.ParseId(jobId.ToString(System.Globalization.CultureInfo.InvariantCulture), "job_id"), cancellationToken);
    }

    private async Task<IResult> CancelAsync(long jobId, CancellationToken cancellationToken)
    {
        var (outcome, job) = await worker.CancelAsync(jobId, cancellationToken);
        switch (outcome)
        {
            case CancelOutcome.None:
                throw new NotFoundException("Job not found");
            case CancelOutcome.AlreadyFinished:
                var finished = await stores.Jobs.GetAsync(jobId, cancellationToken);
                throw new ConflictException($"Job {jobId} has already {finished.Status}; only queued or running jobs can be cancelled.");
            case CancelOutcome.Cancelled:
                LogCancelled(logger, job!.Id, job.RunId);
                return ApiResults.Ok(JobDto.From(job), job.ETag);
            default:
                LogCancelRequested(logger, job!.Id, job.RunId);
                return TypedResults.Accepted($"/api/v1/job/{job.Id}", JobDto.From(job));
        }
    }

    private async Task ThrowIfRunHasActiveJobAsync(RunEntity run, CancellationToken cancellationToken)
    {
        if (run.JobId is { } jobId && await stores.Jobs.FindAsync(jobId, cancellationToken) is { } job && JobStatus.IsActive(job.Status))
        {
            throw new ConflictException($"Run {run.Id} already has {job.Status} job {job.Id}.");
        }

        if (run.RunStatus is RunStatus.Delivered or RunStatus.Started)
        {
            throw new ConflictException($"Run {run.Id} is already queued or training (job {run.JobId}).");
        }
    }

    private bool Finish(JobEntity job, string status, string? error) => job.Finish(status, error, time.GetUtcNow());

    private static RunEntity Snapshot(RunEntity run) => new()
    {
        Status = run.Status,
        TrainMetrics = run.TrainMetrics,
        ValidationMetrics = run.ValidationMetrics,
        TestMetrics = run.TestMetrics,
        Artifacts = run.Artifacts,
        RunPath = run.RunPath,
        DeliveryTime = run.DeliveryTime,
        StartTime = run.StartTime,
        EndTime = run.EndTime,
        Error = run.Error,
        JobId = run.JobId,
    };

    private static bool Restore(RunEntity run, RunEntity previous)
    {
        run.Status = previous.Status;
        run.TrainMetrics = previous.TrainMetrics;
        run.ValidationMetrics = previous.ValidationMetrics;
        run.TestMetrics = previous.TestMetrics;
        run.Artifacts = previous.Artifacts;
        run.RunPath = previous.RunPath;
        run.DeliveryTime = previous.DeliveryTime;
        run.StartTime = previous.StartTime;
        run.EndTime = previous.EndTime;
        run.Error = previous.Error;
        run.JobId = previous.JobId;
        return true;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} queued as job {JobId}")]
    private static partial void LogEnqueued(ILogger logger, long runId, long jobId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not queue run {RunId} (job {JobId})")]
    private static partial void LogEnqueueFailed(ILogger logger, Exception exception, long runId, long jobId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} of run {RunId} cancelled before it started")]
    private static partial void LogCancelled(ILogger logger, long jobId, long runId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} of run {RunId} asked to stop")]
    private static partial void LogCancelRequested(ILogger logger, long jobId, long runId);
}

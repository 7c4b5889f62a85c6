using Azure;
using Azure.Data.Tables;
using DashAI.Functions.Datasets;
using DashAI.Functions.Http;
using DashAI.Functions.Jobs;
using DashAI.Functions.OpenApi;
using DashAI.Functions.Runs;
using DashAI.Functions.Storage;
using DashAI.ML;
using DashAI.ML.Explainers;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace DashAI.Functions.Explainers;

/// <summary>Explainer endpoints: explain a trained run as a job (type 2), list and read explainers, their plots, delete them.</summary>
public sealed partial class ExplainerFunctions(Stores stores, JobWorker worker, ExplainerFiles files, TimeProvider time, ILogger<ExplainerFunctions> logger)
{
    [Function("CreateExplainer")]
    [ApiOperation("Explain a trained run: validates the parameters (defaults filled and stored), creates the explainer and queues its job (type 2)", Status = 201, Response = typeof(ExplainerDto), Body = typeof(ExplainerCreate), Errors = [400, 404, 409, 415])]
    public async Task<IResult> Create(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "explainer")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var (runId, name, given) = await RequestInput.BindAsync<ExplainerCreate>(request, cancellationToken);
        if (ExplainerCatalog.Find(name) is null)
        {
            throw new InvalidInputException($"Unknown explainer '{name}'; known explainers: {string.Join(", ", ExplainerCatalog.All.Select(e => e.Name))}.");
        }

        var run = await stores.Runs.FindAsync(runId, cancellationToken) ?? throw new NotFoundException($"Run {runId} not found.");
        if (run.RunStatus != RunStatus.Finished)
        {
            throw new ConflictException($"Run {run.Id} is not trained (its status is {run.RunStatus}); explain it once it is FINISHED.");
        }

        var experiment = await stores.Experiments.FindAsync(run.ExperimentId, cancellationToken)
            ?? throw new NotFoundException($"Experiment {run.ExperimentId} of run {run.Id} not found.");
        var dataset = await stores.Datasets.FindAsync(experiment.DatasetId, cancellationToken)
            ?? throw new NotFoundException($"Dataset {experiment.DatasetId} of experiment {experiment.Id} not found.");
        var schema = DatasetSchemaJson.FromEntity(dataset)
            ?? throw new ConflictException($"Dataset {dataset.Id} has no processed splits; upload it again.");
        var parameters = ExplainerCatalog.ValidateAndFillDefaults(name, experiment.TaskName, schema, given);

        // The explainer's id is reserved first so that the job names its target from the start.
        var explainerId = await stores.Explainers.NextIdAsync(cancellationToken);
        var job = await stores.Jobs.CreateAsync(
            new JobEntity { Type = JobTypes.Explain, RunId = run.Id, TargetId = explainerId, Status = JobStatus.Queued }, cancellationToken);
        ExplainerEntity explainer;
        try
        {
            explainer = await stores.Explainers.CreateAsync(
                new ExplainerEntity
                {
                    RunId = run.Id,
                    ExplainerName = name,
                    Parameters = parameters.ToJsonString(),
                    Status = (int)ExplainerStatus.Queued,
                    JobId = job.Id,
                },
                cancellationToken,
                explainerId);
        }
        catch (Exception)
        {
            // No explainer, no work: the job must not stay queued.
            await stores.Jobs.ChangeAsync(job.Id, j => JobStatus.IsActive(j.Status) && j.Finish(JobStatus.Failed, "The explainer could not be stored.", time.GetUtcNow()), cancellationToken);
            throw;
        }

        try
        {
            await worker.SendAsync(job, cancellationToken);
        }
        catch (Exception e)
        {
            // Without its message the explainer would wait forever: end both.
            LogEnqueueFailed(logger, e, explainer.Id, job.Id);
            var now = time.GetUtcNow();
            await stores.Explainers.ChangeAsync(explainer.Id, x => x.Apply(job.Id, ExplainerEvent.Fail, now, "The job queue could not be reached."), cancellationToken);
            await stores.Jobs.ChangeAsync(job.Id, j => JobStatus.IsActive(j.Status) && j.Finish(JobStatus.Failed, "The job queue could not be reached.", now), cancellationToken);
            throw;
        }

        LogCreated(logger, explainer.Id, name, run.Id, job.Id);
        return ApiResults.Created($"/api/v1/explainer/{explainer.Id}", ExplainerDto.From(explainer), explainer.ETag);
    }

    [Function("ListExplainers")]
    [ApiOperation("List explainers in id order (those of one run with run_id)", Response = typeof(ExplainerDto[]), Query = typeof(ExplainerListQuery), Errors = [400])]
    public async Task<IResult> List(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "explainer")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var query = await RequestInput.BindAsync<ExplainerListQuery>(request, cancellationToken);
        // One partition; filtered on the run when given.
        var filter = query.RunId is { } runId ? TableClient.CreateQueryFilter($"RunId eq {runId}") : null;
        return await PageRequest.From(request).ListAsync(request, stores.Explainers, filter, ExplainerDto.From, cancellationToken);
    }

    [Function("GetExplainer")]
    [ApiOperation("Read an explainer: status, parameters and, once FINISHED, its result", Response = typeof(ExplainerDto), Errors = [400, 404])]
    public async Task<IResult> Get(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "explainer/{id}")] HttpRequest request,
        string id,
        CancellationToken cancellationToken)
    {
        var explainer = await stores.Explainers.GetAsync(RequestInput.ParseId(id), cancellationToken);
        return ApiResults.Ok(ExplainerDto.From(explainer), explainer.ETag);
    }

    [Function("GetExplainerPlot")]
    [ApiOperation("Download an explainer's plot (PNG, 1200 x 800; a local explainer has one per row: ?row=N); 404 until FINISHED", Response = typeof(Stream), ResponseMediaType = "image/png", Query = typeof(ExplainerPlotQuery), Errors = [400, 404])]
    public async Task<IResult> Plot(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "explainer/{id}/plot")] HttpRequest request,
        string id,
        CancellationToken cancellationToken)
    {
        var query = await RequestInput.BindAsync<ExplainerPlotQuery>(request, cancellationToken);
        var explainer = await stores.Explainers.GetAsync(RequestInput.ParseId(id), cancellationToken);
        var row = query.Row ?? 0;
        if (explainer.ExplainerStatus != ExplainerStatus.Finished)
        {
            throw new NotFoundException($"Explainer {explainer.Id} has no plot: its status is {explainer.ExplainerStatus}.");
        }

        if (row < 0 || row >= explainer.PlotCount)
        {
            throw new BadRequestException($"'row' must be from 0 to {explainer.PlotCount - 1}, got {row}.");
        }

        var blob = stores.Storage.Container(stores.Storage.Names.ArtifactsContainer).GetBlobClient(ExplainerEntity.PlotBlobName(explainer.Id, (int)row));
        return await ApiResults.BlobAsync(blob, "image/png", null, $"The plot of explainer {explainer.Id} is missing.", cancellationToken);
    }

    [Function("DeleteExplainer")]
    [ApiOperation("Delete an explainer, its result and plots (409 while it is queued or running)", Status = 204, Errors = [400, 404, 409, 412])]
    public async Task<IResult> Delete(
        [HttpTrigger(AuthorizationLevel.Function, "delete", Route = "explainer/{id}")] HttpRequest request,
        string id,
        CancellationToken cancellationToken)
    {
        var (explainer, ifMatch) = await RequestInput.ReadDeleteAsync(request, stores.Explainers, id, cancellationToken);
        if (explainer.ExplainerStatus is ExplainerStatus.Queued or ExplainerStatus.Started)
        {
            throw new ConflictException($"Explainer {explainer.Id} is queued or running; cancel its job {explainer.JobId} first.");
        }

        await files.DeleteAsync(explainer, ifMatch, cancellationToken);
        return TypedResults.NoContent();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Explainer {ExplainerId} ({Explainer}) of run {RunId} queued as job {JobId}")]
    private static partial void LogCreated(ILogger logger, long explainerId, string explainer, long runId, long jobId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not queue explainer {ExplainerId} (job {JobId})")]
    private static partial void LogEnqueueFailed(ILogger logger, Exception exception, long explainerId, long jobId);
}

/// <summary>
/// An explainer's entity and files (plots under <c>explainers/{id}/</c> in the artifacts container, its large result
/// in the entity's own blobs): the one place that deletes them, for one explainer or for every explainer of a run.
/// </summary>
public sealed class ExplainerFiles(Stores stores)
{
    public async Task DeleteAsync(ExplainerEntity explainer, ETag ifMatch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(explainer);
        await stores.Explainers.DeleteAsync(explainer, ifMatch, cancellationToken);
        await stores.Storage.DeleteBlobsAsync(stores.Storage.Names.ArtifactsContainer, ExplainerEntity.FilesPrefix(explainer.Id), cancellationToken);
    }

    /// <summary>Deletes every explainer of a run (the run is being deleted); a running one's attempt then finds its target gone.</summary>
    public async Task DeleteForRunAsync(long runId, CancellationToken cancellationToken)
    {
        foreach (var explainer in await stores.Explainers.ListAsync(TableClient.CreateQueryFilter($"RunId eq {runId}"), cancellationToken))
        {
            try
            {
                await DeleteAsync(explainer, ETag.All, cancellationToken);
            }
            catch (EntityNotFoundException)
            {
                // Deleted meanwhile: nothing left to do.
            }
        }
    }
}

using Azure.Data.Tables;
using DashAI.Functions.Datasets;
using DashAI.Functions.Http;
using DashAI.Functions.OpenApi;
using DashAI.Functions.Runs;
using DashAI.Functions.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace DashAI.Functions.Experiments;

/// <summary>An experiment as the API returns it.</summary>
public sealed record ExperimentDto(long Id, long DatasetId, string Name, string TaskName, DateTime Created, DateTime LastModified)
{
    public static ExperimentDto From(ExperimentEntity e) =>
        new(e.Id, e.DatasetId, e.Name, e.TaskName, e.Created.UtcDateTime, e.LastModified.UtcDateTime);
}

/// <summary>Experiment endpoints.</summary>
public sealed class ExperimentFunctions(Stores stores, RunFiles runFiles)
{
    [Function("ListExperiments")]
    [ApiOperation("List the experiments", Response = typeof(ExperimentDto[]))]
    public async Task<IResult> List(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "experiment")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        return await PageRequest.From(request).ListAsync(request, stores.Experiments, null, ExperimentDto.From, cancellationToken);
    }

    [Function("GetExperiment")]
    [ApiOperation("Read an experiment", Response = typeof(ExperimentDto), Errors = [400, 404])]
    public async Task<IResult> Get(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "experiment/{id}")] HttpRequest request,
        string id,
        CancellationToken cancellationToken)
    {
        var experiment = await stores.Experiments.GetAsync(RequestInput.ParseId(id), cancellationToken);
        return ApiResults.Ok(ExperimentDto.From(experiment), experiment.ETag);
    }

    [Function("CreateExperiment")]
    [ApiOperation("Create an experiment: a task on a dataset", Status = 201, Response = typeof(ExperimentDto), Body = typeof(ExperimentCreate), FieldsInQuery = true, Errors = [400, 404, 409, 415])]
    public async Task<IResult> Create(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "experiment")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var create = await RequestInput.BindAsync<ExperimentCreate>(request, cancellationToken);
        var datasetId = create.DatasetId;
        var taskName = Validation.TaskName(create.TaskName);
        var name = Validation.Name(create.Name);

        var dataset = await stores.Datasets.FindAsync(datasetId, cancellationToken)
            ?? throw new NotFoundException("Dataset not found");
        ExperimentRules.CheckTaskFitsDataset(taskName, dataset);

        var experiment = await stores.Experiments.CreateAsync(
            new ExperimentEntity { DatasetId = dataset.Id, TaskName = taskName, Name = name }, cancellationToken);
        return ApiResults.Created($"/api/v1/experiment/{experiment.Id}", ExperimentDto.From(experiment), experiment.ETag);
    }

    [Function("UpdateExperiment")]
    [ApiOperation("Rename an experiment or change its task or dataset", Response = typeof(ExperimentDto), Body = typeof(ExperimentUpdate), FieldsInQuery = true, Errors = [400, 404, 409, 412, 415])]
    public async Task<IResult> Update(
        [HttpTrigger(AuthorizationLevel.Function, "patch", Route = "experiment/{id}")] HttpRequest request,
        string id,
        CancellationToken cancellationToken)
    {
        RequestInput.ValidateIfMatch(request);
        var (name, taskName, datasetId) = await RequestInput.BindAsync<ExperimentUpdate>(request, cancellationToken);
        if (name is null && taskName is null && datasetId is null)
        {
            throw new BadRequestException("Nothing to change: give 'name', 'task_name' and/or 'dataset_id'.");
        }

        var experiment = await stores.Experiments.GetAsync(RequestInput.ParseId(id), cancellationToken);
        var previousName = experiment.Name;
        if (name is not null)
        {
            experiment.Name = Validation.Name(name);
        }

        if (taskName is not null || datasetId is not null)
        {
            experiment.TaskName = taskName is null ? experiment.TaskName : Validation.TaskName(taskName);
            experiment.DatasetId = datasetId ?? experiment.DatasetId;
            var dataset = await stores.Datasets.FindAsync(experiment.DatasetId, cancellationToken)
                ?? throw new NotFoundException("Dataset not found");
            ExperimentRules.CheckTaskFitsDataset(experiment.TaskName, dataset);
        }

        experiment = await stores.Experiments.UpdateAsync(experiment, RequestInput.IfMatch(request, experiment.ETag), previousName, cancellationToken);
        return ApiResults.Ok(ExperimentDto.From(experiment), experiment.ETag);
    }

    [Function("DeleteExperiment")]
    [ApiOperation("Delete an experiment and its runs (409 while one is queued or training)", Status = 204, Errors = [400, 404, 409, 412])]
    public async Task<IResult> Delete(
        [HttpTrigger(AuthorizationLevel.Function, "delete", Route = "experiment/{id}")] HttpRequest request,
        string id,
        CancellationToken cancellationToken)
    {
        var (experiment, ifMatch) = await RequestInput.ReadDeleteAsync(request, stores.Experiments, id, cancellationToken);
        var runs = await stores.Runs.ListAsync(TableClient.CreateQueryFilter($"ExperimentId eq {experiment.Id}"), cancellationToken);
        if (runs.FirstOrDefault(r => r.RunStatus is RunStatus.Delivered or RunStatus.Started) is { } busy)
        {
            throw new ConflictException($"Run {busy.Id} of this experiment is queued or training; cancel its job first.");
        }

        await stores.Experiments.DeleteAsync(experiment, ifMatch, cancellationToken);
        foreach (var run in runs)
        {
            await runFiles.DeleteRunAndFilesAsync(run, run.ETag, cancellationToken);
        }

        return TypedResults.NoContent();
    }
}

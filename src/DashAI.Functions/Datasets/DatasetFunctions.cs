using DashAI.Functions.Http;
using DashAI.Functions.OpenApi;
using DashAI.Functions.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace DashAI.Functions.Datasets;

/// <summary>Dataset endpoints: list, read, rename/retask, delete. Upload lives in <see cref="DatasetUploadFunction"/>.</summary>
public sealed class DatasetFunctions(Stores stores)
{
    [Function("ListDatasets")]
    [ApiOperation("List the datasets", Response = typeof(DatasetDto[]))]
    public async Task<IResult> List(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "dataset")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        return await PageRequest.From(request).ListAsync(request, stores.Datasets, null, DatasetDto.From, cancellationToken);
    }

    [Function("GetDataset")]
    [ApiOperation("Read a dataset", Response = typeof(DatasetDto), Errors = [400, 404])]
    public async Task<IResult> Get(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "dataset/{id}")] HttpRequest request,
        string id,
        CancellationToken cancellationToken)
    {
        var dataset = await stores.Datasets.GetAsync(RequestInput.ParseId(id), cancellationToken);
        return ApiResults.Ok(DatasetDto.From(dataset), dataset.ETag);
    }

    [Function("UpdateDataset")]
    [ApiOperation("Rename a dataset or change its task", Response = typeof(DatasetDto), Body = typeof(DatasetUpdate), FieldsInQuery = true, Errors = [400, 404, 409, 412, 415])]
    public async Task<IResult> Update(
        [HttpTrigger(AuthorizationLevel.Function, "patch", Route = "dataset/{id}")] HttpRequest request,
        string id,
        CancellationToken cancellationToken)
    {
        RequestInput.ValidateIfMatch(request);
        var (name, taskName) = await RequestInput.BindAsync<DatasetUpdate>(request, cancellationToken);
        if (name is null && taskName is null)
        {
            throw new BadRequestException("Nothing to change: give 'name' and/or 'task_name'.");
        }

        var dataset = await stores.Datasets.GetAsync(RequestInput.ParseId(id), cancellationToken);
        var previousName = dataset.Name;
        if (name is not null)
        {
            dataset.Name = Validation.Name(name);
        }

        if (taskName is not null)
        {
            // Refused like an experiment or run update that names an unknown task.
            dataset.TaskName = Validation.TaskName(taskName);
            DashAI.Functions.Experiments.ExperimentRules.CheckTaskExists(dataset.TaskName);
        }

        dataset = await stores.Datasets.UpdateAsync(dataset, RequestInput.IfMatch(request, dataset.ETag), previousName, cancellationToken);
        return ApiResults.Ok(DatasetDto.From(dataset), dataset.ETag);
    }

    [Function("DeleteDataset")]
    [ApiOperation("Delete a dataset and its files (409 while an experiment uses it)", Status = 204, Errors = [400, 404, 409, 412])]
    public async Task<IResult> Delete(
        [HttpTrigger(AuthorizationLevel.Function, "delete", Route = "dataset/{id}")] HttpRequest request,
        string id,
        CancellationToken cancellationToken)
    {
        var (dataset, ifMatch) = await RequestInput.ReadDeleteAsync(request, stores.Datasets, id, cancellationToken);
        if (await stores.Experiments.AnyAsync(Azure.Data.Tables.TableClient.CreateQueryFilter($"DatasetId eq {dataset.Id}"), cancellationToken))
        {
            throw new ConflictException($"Dataset {dataset.Id} is used by an experiment; delete its experiments first.");
        }

        // Entity first: once it is gone nobody can start using the files, and a failure after it leaves
        // only unreachable blobs under a prefix no new dataset reuses (ids never repeat).
        await stores.Datasets.DeleteAsync(dataset, ifMatch, cancellationToken);
        await stores.Storage.DeleteBlobsAsync(stores.Storage.Names.DatasetsContainer, $"{dataset.Id}/", cancellationToken);
        return TypedResults.NoContent();
    }
}

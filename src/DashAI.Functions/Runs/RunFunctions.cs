using System.Text.Json.Nodes;
using Azure;
using Azure.Data.Tables;
using DashAI.Functions.Http;
using DashAI.Functions.OpenApi;
using DashAI.Functions.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace DashAI.Functions.Runs;

/// <summary>Run endpoints.</summary>
public sealed class RunFunctions(Stores stores, RunFiles files)
{
    private static readonly IReadOnlyList<string> CreateFields = RequestInput.FieldsOf<RunCreate>();

    private static readonly IReadOnlyList<string> UpdateFields = RequestInput.FieldsOf<RunUpdate>();

    [Function("ListRuns")]
    [ApiOperation("List the runs, optionally of one experiment", Response = typeof(RunDto[]), Query = typeof(RunListQuery), Errors = [400, 404])]
    public async Task<IResult> List(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "run")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var query = await RequestInput.BindAsync<RunListQuery>(request, cancellationToken);
        string? filter = null;
        if (query.ExperimentId is { } experimentId)
        {
            _ = await stores.Experiments.GetAsync(experimentId, cancellationToken);
            filter = TableClient.CreateQueryFilter($"ExperimentId eq {experimentId}");
        }

        return await PageRequest.From(request).ListAsync(request, stores.Runs, filter, RunDto.From, cancellationToken);
    }

    [Function("GetRun")]
    [ApiOperation("Read a run with its status, stage and metrics", Response = typeof(RunDto), Errors = [400, 404])]
    public async Task<IResult> Get(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "run/{id}")] HttpRequest request,
        string id,
        CancellationToken cancellationToken)
    {
        var run = await stores.Runs.GetAsync(RequestInput.ParseId(id), cancellationToken);
        return ApiResults.Ok(RunDto.From(run), run.ETag);
    }

    [Function("CreateRun")]
    [ApiOperation("Add a run (a model and its parameters) to an experiment", Status = 201, Response = typeof(RunDto), Body = typeof(RunCreate), FieldsInQuery = true, Errors = [400, 404, 409, 415])]
    public async Task<IResult> Create(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "run")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var input = await RequestInput.ReadUncheckedAsync(request, cancellationToken);

        // Thesis form: the fields in the query and the parameters object as the whole body.
        // JSON form: every field in the body, parameters under "parameters".
        if (request.Query.ContainsKey("experiment_id"))
        {
            input = input.WithBodyAs("parameters", "The body must be the run's parameters as a JSON object.");
            RunRules.RejectMisplacedFields(input.GetObject("parameters"), request.Query["model_name"].ToString(), CreateFields);
        }
        else
        {
            input.RejectUnknownFields(CreateFields);
        }

        var (experimentId, modelName, runName, description, parameters, requestedSeed) = input.Bind<RunCreate>();
        var name = Validation.Name(runName);
        var seed = requestedSeed ?? 42;
        if (seed is < 0 or > int.MaxValue)
        {
            throw new BadRequestException("'seed' must be between 0 and 2147483647.");
        }

        var experiment = await stores.Experiments.FindAsync(experimentId, cancellationToken)
            ?? throw new NotFoundException("Experiment not found");
        var validated = RunRules.ValidateParameters(modelName, experiment.TaskName, parameters);

        var run = await stores.Runs.CreateAsync(
            new RunEntity
            {
                ExperimentId = experiment.Id,
                ModelName = modelName.Trim(),
                Parameters = validated.ToJsonString(),
                Name = name,
                Description = description,
                Seed = (int)seed,
                Status = (int)RunStatus.NotStarted,
            },
            cancellationToken);
        return ApiResults.Created($"/api/v1/run/{run.Id}", RunDto.From(run), run.ETag);
    }

    [Function("UpdateRun")]
    [ApiOperation("Rename a run, change its description or its parameters", Response = typeof(RunDto), Body = typeof(RunUpdate), FieldsInQuery = true, Errors = [400, 404, 409, 412, 415])]
    public async Task<IResult> Update(
        [HttpTrigger(AuthorizationLevel.Function, "patch", Route = "run/{id}")] HttpRequest request,
        string id,
        CancellationToken cancellationToken)
    {
        RequestInput.ValidateIfMatch(request);
        var input = await RequestInput.ReadUncheckedAsync(request, cancellationToken);

        // The parameters come as the body itself (thesis) or under "parameters" (JSON form).
        var thesisForm = input.BodyObject is { } body && !body.Any(p => UpdateFields.Contains(p.Key));
        if (thesisForm && input.BodyObject!.Count > 0)
        {
            input = input.WithBodyAs("parameters", "The body must be the run's parameters as a JSON object.");
        }
        else if (!thesisForm)
        {
            input.RejectUnknownFields(UpdateFields);
        }

        var (name, description, parameters) = input.Bind<RunUpdate>();

        if (name is null && description is null && parameters is null)
        {
            throw new BadRequestException("Nothing to change: give 'run_name', 'run_description' and/or 'parameters'.");
        }

        var run = await stores.Runs.GetAsync(RequestInput.ParseId(id), cancellationToken);
        CapturedRunFiles? staleFiles = null;
        var ifMatch = RequestInput.IfMatch(request, run.ETag);
        if (thesisForm)
        {
            RunRules.RejectMisplacedFields(parameters, run.ModelName, UpdateFields);
        }

        if (name is not null)
        {
            run.Name = Validation.Name(name, "run_name");
        }

        if (description is not null)
        {
            run.Description = description;
        }

        if (parameters is not null)
        {
            if (run.RunStatus is RunStatus.Delivered or RunStatus.Started)
            {
                throw new ConflictException($"Run {run.Id} is queued or training; cancel its job before changing its parameters.");
            }

            var experiment = await stores.Experiments.GetAsync(run.ExperimentId, cancellationToken);
            run.Parameters = RunRules.ValidateParameters(run.ModelName, experiment.TaskName, parameters).ToJsonString();
            if (run.RunStatus is not RunStatus.NotStarted)
            {
                // New parameters make old results meaningless, and their files with them.
                staleFiles = await files.CaptureAsync(run.Id, cancellationToken);
                run.ResetResults();
            }
        }

        run = await stores.Runs.UpdateAsync(run, ifMatch, null, cancellationToken);
        if (staleFiles is not null)
        {
            await files.DeleteCapturedAsync(staleFiles, cancellationToken);
        }

        return ApiResults.Ok(RunDto.From(run), run.ETag);
    }

    [Function("GetRunModel")]
    [ApiOperation("Download a finished run's trained model (an ML.NET zip)", Response = typeof(Stream), ResponseMediaType = "application/zip", Errors = [400, 404])]
    public async Task<IResult> GetModel(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "run/{id}/model")] HttpRequest request,
        string id,
        CancellationToken cancellationToken)
    {
        var run = await stores.Runs.GetAsync(RequestInput.ParseId(id), cancellationToken);
        if (run.RunStatus != RunStatus.Finished)
        {
            throw new NotFoundException($"Run {run.Id} has no trained model: its status is {run.RunStatus}.");
        }

        var blob = stores.Storage.Container(stores.Storage.Names.ModelsContainer).GetBlobClient(RunFiles.ModelBlobName(run.Id));
        try
        {
            var stream = await blob.OpenReadAsync(cancellationToken: cancellationToken);
            return TypedResults.Stream(stream, "application/zip", $"run-{run.Id}-model.zip");
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            throw new NotFoundException($"The model file of run {run.Id} is missing.");
        }
    }

    [Function("DeleteRun")]
    [ApiOperation("Delete a run and its model (409 while it is queued or training)", Status = 204, Errors = [400, 404, 409, 412])]
    public async Task<IResult> Delete(
        [HttpTrigger(AuthorizationLevel.Function, "delete", Route = "run/{id}")] HttpRequest request,
        string id,
        CancellationToken cancellationToken)
    {
        RequestInput.ValidateIfMatch(request);
        await RequestInput.ReadAsync(request, [], cancellationToken);
        var run = await stores.Runs.GetAsync(RequestInput.ParseId(id), cancellationToken);
        var ifMatch = RequestInput.IfMatch(request, run.ETag);
        if (run.RunStatus is RunStatus.Delivered or RunStatus.Started)
        {
            throw new ConflictException($"Run {run.Id} is queued or training; cancel its job first.");
        }

        await files.DeleteRunAndFilesAsync(run, ifMatch, cancellationToken);
        return TypedResults.NoContent();
    }
}

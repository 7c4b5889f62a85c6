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
public sealed class RunFunctions(Stores stores, RunFiles files, DashAI.Functions.Predictions.PredictionModels predictionModels)
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

        var (experimentId, modelName, runName, description, parameters, requestedSeed, optimizer) = input.Bind<RunCreate>();
        var name = Validation.Name(runName);
        var seed = requestedSeed ?? 42;
        if (seed is < 0 or > int.MaxValue)
        {
            throw new BadRequestException("'seed' must be between 0 and 2147483647.");
        }

        var experiment = await stores.Experiments.FindAsync(experimentId, cancellationToken)
            ?? throw new NotFoundException("Experiment not found");
        var entity = new RunEntity
        {
            ExperimentId = experiment.Id,
            ModelName = modelName.Trim(),
            Name = name,
            Description = description,
            Seed = (int)seed,
            Status = (int)RunStatus.NotStarted,
        };
        RunRules.ApplyParameters(entity, experiment.TaskName, parameters, optimizer);

        var run = await stores.Runs.CreateAsync(entity, cancellationToken);
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

        var (name, description, parameters, optimizer) = input.Bind<RunUpdate>();

        if (name is null && description is null && parameters is null && optimizer is null)
        {
            throw new BadRequestException("Nothing to change: give 'run_name', 'run_description', 'parameters' and/or 'optimizer'.");
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

        if (parameters is not null || optimizer is not null)
        {
            if (run.RunStatus is RunStatus.Delivered or RunStatus.Started)
            {
                throw new ConflictException($"Run {run.Id} is queued or training; cancel its job before changing its parameters.");
            }

            var experiment = await stores.Experiments.GetAsync(run.ExperimentId, cancellationToken);
            // A tuned run keeps its optimizer when only its parameters change, and its specs when only its optimizer does.
            var keptOptimizer = optimizer ?? (parameters is null || DashAI.ML.Optimization.SearchPlan.HasSpecs(parameters) ? JsonText.Parse(run.Optimizer) as JsonObject : null);
            var newParameters = parameters ?? CurrentSpecParameters(run);
            RunRules.ApplyParameters(run, experiment.TaskName, newParameters, keptOptimizer);
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
    [ApiOperation("Download a finished run's trained model: the ML.NET zip, or ONNX with ?format=onnx (422 naming the step when the pipeline has no ONNX form)", Response = typeof(Stream), ResponseMediaType = "application/zip", Query = typeof(DashAI.Functions.Predictions.ModelQuery), Errors = [400, 404, 422])]
    public async Task<IResult> GetModel(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "run/{id}/model")] HttpRequest request,
        string id,
        CancellationToken cancellationToken)
    {
        var format = request.Query["format"].ToString();
        if (format is not ("" or DashAI.Functions.Predictions.ModelFormats.Zip or DashAI.Functions.Predictions.ModelFormats.Onnx))
        {
            throw new BadRequestException($"Unknown model format '{format}': use zip or onnx.");
        }

        var run = await stores.Runs.GetAsync(RequestInput.ParseId(id), cancellationToken);
        if (run.RunStatus != RunStatus.Finished)
        {
            throw new NotFoundException($"Run {run.Id} has no trained model: its status is {run.RunStatus}.");
        }

        if (format == DashAI.Functions.Predictions.ModelFormats.Onnx)
        {
            var onnx = await predictionModels.GetOnnxAsync(run, cancellationToken);
            return TypedResults.File(onnx, "application/octet-stream", $"run-{run.Id}-model.onnx");
        }

        var blob = stores.Storage.Container(stores.Storage.Names.ModelsContainer).GetBlobClient(RunFiles.ModelBlobName(run.Id));
        return await ApiResults.BlobAsync(blob, "application/zip", $"run-{run.Id}-model.zip", $"The model file of run {run.Id} is missing.", cancellationToken);
    }

    [Function("DeleteRun")]
    [ApiOperation("Delete a run and its model (409 while it is queued or training)", Status = 204, Errors = [400, 404, 409, 412])]
    public async Task<IResult> Delete(
        [HttpTrigger(AuthorizationLevel.Function, "delete", Route = "run/{id}")] HttpRequest request,
        string id,
        CancellationToken cancellationToken)
    {
        var (run, ifMatch) = await RequestInput.ReadDeleteAsync(request, stores.Runs, id, cancellationToken);
        if (run.RunStatus is RunStatus.Delivered or RunStatus.Started)
        {
            throw new ConflictException($"Run {run.Id} is queued or training; cancel its job first.");
        }

        await files.DeleteRunAndFilesAsync(run, ifMatch, cancellationToken);
        return TypedResults.NoContent();
    }

    /// <summary>A run's parameters with its optimize specs in their places (what a tuned run was given).</summary>
    private static JsonObject CurrentSpecParameters(RunEntity run)
    {
        var parameters = JsonText.Parse(run.Parameters) as JsonObject ?? [];
        if (JsonText.Parse(run.SearchSpace) is JsonObject specs)
        {
            foreach (var (name, spec) in specs)
            {
                parameters[name] = spec?.DeepClone();
            }
        }

        return parameters;
    }
}

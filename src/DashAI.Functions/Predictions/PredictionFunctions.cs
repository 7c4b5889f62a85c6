using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure;
using Azure.Data.Tables;
using DashAI.Functions.Datasets;
using DashAI.Functions.Http;
using DashAI.Functions.Jobs;
using DashAI.Functions.OpenApi;
using DashAI.Functions.Runs;
using DashAI.Functions.Storage;
using DashAI.ML;
using DashAI.ML.Data;
using DashAI.ML.Prediction;
using DashAI.ML.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace DashAI.Functions.Predictions;

/// <summary>Prediction endpoints: score rows at once with a finished run, or a whole dataset or file as a batch job.</summary>
public sealed partial class PredictionFunctions(
    Stores stores,
    PredictionModels models,
    JobWorker worker,
    IOptions<PredictionOptions> options,
    IOptions<DatasetOptions> datasetOptions,
    TimeProvider time,
    ILogger<PredictionFunctions> logger)
{
    private static readonly string[] FormParamsFields = ["run_id", "dataloader", "dataloader_params"];
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    [Function("PredictRun")]
    [ApiOperation("Score rows with a finished run's model: JSON {\"rows\": [...]} or a text/csv body with a header row", Response = typeof(PredictResponse), Body = typeof(PredictRequest), Errors = [400, 404, 409, 413, 415])]
    public async Task<IResult> Predict(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "run/{id}/predict")] HttpRequest request,
        string id,
        CancellationToken cancellationToken)
    {
        var limits = options.Value;
        var runId = RequestInput.ParseId(id);
        if (request.ContentLength > limits.MaxRequestBytes)
        {
            throw TooLarge($"The request body is larger than {limits.MaxRequestBytes} bytes.");
        }

        var csv = IsCsv(request.ContentType);
        var run = await stores.Runs.GetAsync(runId, cancellationToken);
        if (run.RunStatus != RunStatus.Finished)
        {
            throw new ConflictException($"Run {run.Id} is {StatusName(run.RunStatus)} (status {(int)run.RunStatus}); only a FINISHED run predicts.");
        }

        var body = await ReadBodyAsync(request.Body, limits.MaxRequestBytes, cancellationToken);
        if (string.IsNullOrWhiteSpace(body))
        {
            throw new BadRequestException(csv ? "The CSV body is empty: send a header row and the rows to score." : "Send {\"rows\": [...]} with the rows to score.");
        }

        var model = await models.GetAsync(run, cancellationToken);
        CheckedRows rows;
        if (csv)
        {
            try
            {
                rows = model.Inputs.CheckCsv(new StringReader(body), limits.MaxRows);
            }
            catch (RowLimitException)
            {
                throw TooManyRows(limits.MaxRows);
            }
        }
        else
        {
            var json = RequestInput.ParseJson(body, "The request body");
            if (json is not JsonObject root)
            {
                throw new BadRequestException("The request body must be a JSON object with the field rows.");
            }

            var unknown = StrictJson.UnknownKeys(root.Select(p => p.Key), ["rows"], "the request body");
            if (unknown.Count > 0)
            {
                throw new BadRequestException(string.Join(" ", unknown));
            }

            if (root["rows"] is not JsonArray array)
            {
                throw new BadRequestException("'rows' is required: a list of objects of column values.");
            }

            if (array.Count > limits.MaxRows)
            {
                throw TooManyRows(limits.MaxRows);
            }

            rows = model.Inputs.CheckJson(array);
        }

        var scored = model.Score(rows.Rows);
        var predictions = new JsonArray();
        foreach (var row in scored)
        {
            predictions.Add(ToJson(model, row));
        }

        var answer = new JsonObject
        {
            ["predictions"] = predictions,
            ["warnings"] = new JsonArray([.. rows.Warnings.Select(w => (JsonNode)JsonValue.Create(w))]),
        };
        return TypedResults.Text(answer.ToJsonString(), "application/json", Encoding.UTF8);
    }

    [Function("CreatePrediction")]
    [ApiOperation("Score a dataset or an uploaded file with a finished run as a batch job (JSON {run_id, dataset_id}, or multipart 'params' and 'file')", Status = 201, Response = typeof(PredictionDto), Body = typeof(PredictionCreate), Errors = [400, 404, 409, 413, 415])]
    public async Task<IResult> Create(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "prediction")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        if (MediaTypeHeaderValue.TryParse(request.ContentType, out var media) && media.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            return await CreateFromFileAsync(request, cancellationToken);
        }

        var (runId, datasetId) = await RequestInput.BindAsync<PredictionCreate>(request, cancellationToken);
        var run = await FinishedRunAsync(runId, cancellationToken);
        var dataset = await stores.Datasets.GetAsync(datasetId, cancellationToken);
        var trainedOn = await models.SchemaAsync(run, cancellationToken);
        var schema = DatasetSchemaJson.FromEntity(dataset) ?? throw new ConflictException($"Dataset {dataset.Id} has no stored schema yet.");
        var missing = trainedOn.InputColumns.Where(c => !schema.Columns.Any(s => s.Name == c)).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidInputException([.. missing.Select(c => $"Dataset {dataset.Id} has no column '{c}', an input of run {run.Id}.")]);
        }

        var prediction = new PredictionEntity
        {
            RunId = run.Id,
            DatasetId = dataset.Id,
            Dataloader = dataset.Dataloader ?? DataLoaderCatalog.Csv,
            DataloaderParams = dataset.DataloaderParams,
            InputBytes = dataset.UploadBytes,
        };
        return await QueueAsync(run, prediction, null, cancellationToken);
    }

    [Function("ListPredictions")]
    [ApiOperation("List batch predictions in id order, optionally of one run", Response = typeof(PredictionDto[]), Query = typeof(PredictionListQuery), Errors = [400, 404])]
    public async Task<IResult> List(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "prediction")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var query = await RequestInput.BindAsync<PredictionListQuery>(request, cancellationToken);
        string? filter = null;
        if (query.RunId is { } runId)
        {
            _ = await stores.Runs.GetAsync(runId, cancellationToken);
            filter = TableClient.CreateQueryFilter($"RunId eq {runId}");
        }

        return await PageRequest.From(request).ListAsync(request, stores.Predictions, filter, PredictionDto.From, cancellationToken);
    }

    [Function("GetPrediction")]
    [ApiOperation("Read a batch prediction with its status and the rows scored so far", Response = typeof(PredictionDto), Errors = [400, 404])]
    public async Task<IResult> Get(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "prediction/{id}")] HttpRequest request,
        string id,
        CancellationToken cancellationToken)
    {
        var prediction = await stores.Predictions.GetAsync(RequestInput.ParseId(id), cancellationToken);
        return ApiResults.Ok(PredictionDto.From(prediction), prediction.ETag);
    }

    [Function("GetPredictionFile")]
    [ApiOperation("Download a finished batch prediction: the input rows plus the prediction columns, as CSV", Response = typeof(Stream), ResponseMediaType = "text/csv", Errors = [400, 404])]
    public async Task<IResult> GetFile(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "prediction/{id}/file")] HttpRequest request,
        string id,
        CancellationToken cancellationToken)
    {
        var prediction = await stores.Predictions.GetAsync(RequestInput.ParseId(id), cancellationToken);
        if (prediction.Status != PredictionStatus.Finished)
        {
            throw new NotFoundException($"Prediction {prediction.Id} has no file: its status is {prediction.Status}.");
        }

        return await ApiResults.BlobAsync(
            Container.GetBlobClient(PredictionBlobs.Output(prediction.Id)), "text/csv", $"prediction-{prediction.Id}.csv", $"The file of prediction {prediction.Id} is missing.", cancellationToken);
    }

    [Function("DeletePrediction")]
    [ApiOperation("Delete a batch prediction and its files (409 while it is queued or running: cancel its job first)", Status = 204, Errors = [400, 404, 409, 412])]
    public async Task<IResult> Delete(
        [HttpTrigger(AuthorizationLevel.Function, "delete", Route = "prediction/{id}")] HttpRequest request,
        string id,
        CancellationToken cancellationToken)
    {
        var (prediction, ifMatch) = await RequestInput.ReadDeleteAsync(request, stores.Predictions, id, cancellationToken);
        if (PredictionStatus.IsActive(prediction.Status))
        {
            throw new ConflictException($"Prediction {prediction.Id} is {prediction.Status}; cancel its job {prediction.JobId} first.");
        }

        await stores.Predictions.DeleteAsync(prediction, ifMatch, cancellationToken);
        await stores.Storage.DeleteBlobsAsync(stores.Storage.Names.PredictionsContainer, PredictionBlobs.Prefix(prediction.Id), cancellationToken);
        return TypedResults.NoContent();
    }

    private Azure.Storage.Blobs.BlobContainerClient Container => stores.Storage.Container(stores.Storage.Names.PredictionsContainer);

    private async Task<IResult> CreateFromFileAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var limit = datasetOptions.Value.MaxUploadBytes;
        if (request.ContentLength > DatasetUploadFunction.MaxRequestBytes(limit))
        {
            throw new PayloadTooLargeException($"The request is larger than the upload limit of {limit} bytes.");
        }

        var boundary = DatasetUploadFunction.MultipartBoundary(request.ContentType);
        var work = Directory.CreateTempSubdirectory("dashai-predict-upload-");
        try
        {
            var form = await DatasetUploadFunction.ReadFormAsync(request.Body, boundary, work.FullName, limit, cancellationToken);
            if (form.Url is not null)
            {
                throw new BadRequestException("A batch prediction takes a 'file', not a 'url'.");
            }

            var (runId, dataLoader, loaderParams) = ParseFormParams(form.Params ?? throw new BadRequestException("The form field 'params' is required."));
            var upload = form.File ?? throw new BadRequestException("The form field 'file' is required.");
            if (upload.Bytes == 0)
            {
                throw new BadRequestException("The uploaded file is empty.");
            }

            var run = await FinishedRunAsync(runId, cancellationToken);
            var prediction = new PredictionEntity
            {
                RunId = run.Id,
                FileName = upload.FileName,
                Dataloader = dataLoader,
                DataloaderParams = loaderParams,
                InputBytes = upload.Bytes,
            };
            return await QueueAsync(run, prediction, upload.Path, cancellationToken);
        }
        finally
        {
            try
            {
                work.Delete(recursive: true);
            }
            catch (IOException)
            {
                // Temp space; the OS reclaims it.
            }
        }
    }

    /// <summary>
    /// Stores the prediction (and its uploaded input), creates its job and sends the job's message. A failure after the
    /// job exists fails the job and the prediction, so nothing waits for a message that was never sent.
    /// </summary>
    private async Task<IResult> QueueAsync(RunEntity run, PredictionEntity prediction, string? inputPath, CancellationToken cancellationToken)
    {
        var id = await stores.Predictions.NextIdAsync(cancellationToken);
        if (inputPath is not null)
        {
            await Container.GetBlobClient(PredictionBlobs.Input(id)).UploadAsync(inputPath, StorageContext.FileUpload(overwrite: false), cancellationToken);
        }

        var job = await stores.Jobs.CreateAsync(
            new JobEntity { Type = JobTypes.Predict, RunId = run.Id, TargetId = id, Status = JobStatus.Queued }, cancellationToken);
        prediction.JobId = job.Id;
        try
        {
            prediction = await stores.Predictions.CreateAsync(prediction, cancellationToken, reservedId: id);
            await worker.SendAsync(job, cancellationToken);
        }
        catch (Exception e)
        {
            LogQueueFailed(logger, e, id, job.Id);
            using var cleanup = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var now = time.GetUtcNow();
            await stores.Jobs.ChangeAsync(job.Id, j => JobStatus.IsActive(j.Status) && j.Finish(JobStatus.Failed, "The prediction could not be queued.", now), cleanup.Token);
            await stores.Predictions.ChangeAsync(id, p => p.EndFor(job.Id, PredictionStatus.Error, "The prediction could not be queued.", now), cleanup.Token);
            throw;
        }

        LogQueued(logger, prediction.Id, run.Id, job.Id);
        return ApiResults.Created($"/api/v1/prediction/{prediction.Id}", PredictionDto.From(prediction), prediction.ETag);
    }

    private async Task<RunEntity> FinishedRunAsync(long runId, CancellationToken cancellationToken)
    {
        var run = await stores.Runs.GetAsync(runId, cancellationToken);
        return run.RunStatus == RunStatus.Finished
            ? run
            : throw new ConflictException($"Run {run.Id} is {StatusName(run.RunStatus)} (status {(int)run.RunStatus}); only a FINISHED run predicts.");
    }

    private static (long RunId, string DataLoader, string? Params) ParseFormParams(string text)
    {
        if (RequestInput.ParseJson(text, "The form field 'params'") is not JsonObject root)
        {
            throw new BadRequestException("The form field 'params' must be a JSON object.");
        }

        var errors = StrictJson.UnknownKeys(root.Select(p => p.Key), FormParamsFields, "params");
        long runId = 0;
        if (root["run_id"] is not JsonValue value || !value.TryGetValue(out runId) || runId <= 0)
        {
            errors.Add("params.run_id is required: the id of a finished run.");
        }

        using var document = JsonDocument.Parse(text);
        var (dataLoader, _) = IngestRequest.ParseDataLoader(document.RootElement, errors);
        if (errors.Count > 0)
        {
            throw new InvalidInputException(errors);
        }

        return (runId, dataLoader!, root["dataloader_params"]?.ToJsonString());
    }

    private static JsonObject ToJson(PredictionModel model, ScoredRow row)
    {
        if (model.Kind == TaskKind.Regression)
        {
            return new JsonObject { ["value"] = JsonValue.Create(row.Value!.Value) };
        }

        var probabilities = new JsonObject();
        for (var i = 0; i < model.ClassLabels.Count; i++)
        {
            probabilities[model.ClassLabels[i]] = JsonValue.Create(row.Probabilities![i]);
        }

        JsonNode? label = model.NumericLabels
            ? row.NumericLabel is { } number && number == Math.Floor(number) ? JsonValue.Create((long)number) : JsonValue.Create(row.NumericLabel)
            : JsonValue.Create(row.Label);
        return new JsonObject { ["label"] = label, ["probabilities"] = probabilities };
    }

    private static bool IsCsv(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType))
        {
            return false;
        }

        if (!MediaTypeHeaderValue.TryParse(contentType, out var media))
        {
            throw new UnsupportedMediaTypeException($"Send the rows as application/json or text/csv, not '{contentType}'.");
        }

        var type = media.MediaType.Value ?? "";
        if (type.Equals("text/csv", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        return type.Contains("json", StringComparison.OrdinalIgnoreCase)
            ? false
            : throw new UnsupportedMediaTypeException($"Send the rows as application/json or text/csv, not '{type}'.");
    }

    private static async Task<string> ReadBodyAsync(Stream body, long maxBytes, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[64 * 1024];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                throw TooLarge($"The request body is larger than {maxBytes} bytes.");
            }

            buffer.Write(chunk, 0, read);
        }

        try
        {
            return StrictUtf8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length).TrimStart('\uFEFF');
        }
        catch (DecoderFallbackException)
        {
            throw new BadRequestException("The request body is not valid UTF-8.");
        }
    }

    private static PayloadTooLargeException TooLarge(string what) =>
        new($"{what} Score larger inputs as a batch prediction: POST /api/v1/prediction with run_id and a dataset_id or a file.");

    private static PayloadTooLargeException TooManyRows(int limit) =>
        TooLarge($"At most {limit.ToString("N0", CultureInfo.InvariantCulture)} rows per request.");

    private static string StatusName(RunStatus status) => status switch
    {
        RunStatus.NotStarted => "NOT_STARTED",
        RunStatus.Delivered => "DELIVERED",
        RunStatus.Started => "STARTED",
        RunStatus.Finished => "FINISHED",
        RunStatus.Error => "ERROR",
        _ => "CANCELLED",
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Prediction {PredictionId} of run {RunId} queued as job {JobId}")]
    private static partial void LogQueued(ILogger logger, long predictionId, long runId, long jobId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Prediction {PredictionId} could not be queued (job {JobId})")]
    private static partial void LogQueueFailed(ILogger logger, Exception exception, long predictionId, long jobId);
}

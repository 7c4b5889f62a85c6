using System.Text;
using System.Text.Json.Nodes;
using DashAI.Functions.Http;
using DashAI.Functions.OpenApi;
using DashAI.Functions.Storage;
using DashAI.Functions.Telemetry;
using DashAI.ML;
using DashAI.ML.Data;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace DashAI.Functions.Datasets;

/// <summary>
/// <c>POST /dataset</c>: multipart <c>params</c> (the thesis JSON) plus <c>file</c> or <c>url</c>. The upload streams
/// to local temp storage (hashed on the way), is parsed, typed and split from there in two streaming passes, the
/// original and the splits go to Blob Storage, and the entity is written last, so a failure at any step leaves
/// neither an entity nor blobs behind.
/// </summary>
public sealed partial class DatasetUploadFunction(
    Stores stores,
    UrlDownloader downloader,
    IOptions<DatasetOptions> options,
    ILogger<DatasetUploadFunction> logger)
{
    private const int MaxFieldBytes = 1 << 20;
    private const int MaxBoundaryLength = 70;

    // Part headers and boundaries around the file and the two text fields.
    private const int MultipartOverheadBytes = 64 * 1024;

    /// <summary>The largest whole request an upload of <paramref name="maxUploadBytes"/> can need: the file, 'params' and 'url' at their limits, and the multipart framing.</summary>
    public static long MaxRequestBytes(long maxUploadBytes) => maxUploadBytes + (2 * MaxFieldBytes) + MultipartOverheadBytes;

    private static readonly string[] AcceptedFileTypes =
    [
        "text/", "application/json", "application/octet-stream", "application/csv", "application/vnd.ms-excel", "application/x-ndjson",
    ];

    [Function("CreateDataset")]
    [ApiOperation("Upload a dataset (file or URL), infer its columns and split it", Status = 201, Response = typeof(DatasetDto), Body = typeof(DatasetUploadForm), BodyMediaType = "multipart/form-data", Errors = [400, 409, 413, 415])]
    public async Task<IResult> Create(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "dataset")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var limit = options.Value.MaxUploadBytes;
        if (request.ContentLength > MaxRequestBytes(limit))
        {
            throw new PayloadTooLargeException($"The request is larger than the upload limit of {limit} bytes.");
        }

        var boundary = MultipartBoundary(request.ContentType);
        var work = Directory.CreateTempSubdirectory("dashai-upload-");
        try
        {
            var form = await ReadFormAsync(request.Body, boundary, work.FullName, limit, cancellationToken);
            var ingest = IngestRequest.Parse(form.Params ?? throw new BadRequestException("The form field 'params' is required."));
            var name = Validation.Name(ingest.DatasetName, "dataset_name");
            DashAI.Functions.Experiments.ExperimentRules.CheckTaskExists(ingest.TaskName);

            var url = string.IsNullOrWhiteSpace(form.Url) ? null : form.Url.Trim();
            if ((form.File is null) == (url is null))
            {
                throw new BadRequestException("Send exactly one of the form fields 'file' and 'url'.");
            }

            // Fail fast on a taken name; the transaction that writes the entity is what guarantees it.
            if (await stores.Datasets.NameExistsAsync(name, cancellationToken))
            {
                throw new ConflictException($"A dataset named '{name}' already exists.");
            }

            var upload = form.File ?? await downloader.DownloadAsync(url!, Path.Combine(work.FullName, "upload"), cancellationToken);
            if (upload.Bytes == 0)
            {
                throw new BadRequestException("The uploaded file is empty.");
            }

            var splitsDirectory = Path.Combine(work.FullName, "splits");
            using var span = DashAITelemetry.Source.StartActivity("ingest");
            span?.SetTag(DashAITelemetry.Task, ingest.TaskName);
            var result = await Task.Run(() => DatasetIngestor.Ingest(upload.Path, ingest, splitsDirectory, cancellationToken), cancellationToken);
            span?.SetTag("dashai.rows", result.Rows);
            DashAITelemetry.RowsIngested.Add(result.Rows);
            DashAI.Functions.Experiments.ExperimentRules.CheckTaskFitsSchema(ingest.TaskName, result.Schema);

            var id = await stores.Datasets.NextIdAsync(cancellationToken);
            span?.SetTag(DashAITelemetry.DatasetId, id);
            using var ids = logger.BeginScope(new Dictionary<string, object> { ["DatasetId"] = id });
            var container = stores.Storage.Container(stores.Storage.Names.DatasetsContainer);
            try
            {
                await container.GetBlobClient(DatasetBlobs.Original(id)).UploadAsync(upload.Path, StorageContext.FileUpload(overwrite: false), cancellationToken);
                foreach (var (split, path) in result.SplitFiles)
                {
                    await container.GetBlobClient(DatasetBlobs.Split(id, split)).UploadAsync(path, StorageContext.FileUpload(overwrite: false), cancellationToken);
                }

                var dataset = await stores.Datasets.CreateAsync(
                    new DatasetEntity
                    {
                        Name = name,
                        TaskName = ingest.TaskName,
                        FilePath = $"{stores.Storage.Names.DatasetsContainer}/{DatasetBlobs.Prefix(id)}",
                        Dataloader = ingest.DataLoader,
                        FileName = upload.FileName ?? url,
                        UploadBytes = upload.Bytes,
                        Sha256 = upload.Sha256,
                        Rows = result.Rows,
                        RowsPerSplit = DatasetSchemaJson.RowsPerSplit(result.RowsPerSplit),
                        Columns = DatasetSchemaJson.Columns(result.Schema),
                        InputColumns = DatasetSchemaJson.Names(result.Schema.InputColumns),
                        OutputColumns = DatasetSchemaJson.Names(result.Schema.OutputColumns),
                        Splits = DatasetSchemaJson.Splits(ingest.Splits),
                        DataloaderParams = JsonNode.Parse(form.Params)?["dataloader_params"]?.ToJsonString(),
                    },
                    cancellationToken,
                    reservedId: id);
                LogCreated(logger, dataset.Id, dataset.Rows, dataset.UploadBytes);
                return ApiResults.Created($"/api/v1/dataset/{dataset.Id}", DatasetDto.From(dataset), dataset.ETag);
            }
            catch
            {
                // Nothing half-written: the id is never reused, and its blobs go with the failed attempt.
                using var cleanup = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                await stores.Storage.DeleteBlobsAsync(stores.Storage.Names.DatasetsContainer, DatasetBlobs.Prefix(id), cleanup.Token);
                throw;
            }
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

    private static string MultipartBoundary(string? contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var mediaType)
            || !mediaType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            throw new UnsupportedMediaTypeException("Send the dataset as multipart/form-data with the fields 'params' and 'file' (or 'url').");
        }

        var boundary = HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value;
        if (string.IsNullOrEmpty(boundary))
        {
            throw new BadRequestException("The multipart request has no boundary.");
        }

        // RFC 2046 allows at most 70 characters; the multipart reader cannot work with a boundary longer than its buffer.
        return boundary.Length > MaxBoundaryLength
            ? throw new BadRequestException($"The multipart boundary is longer than {MaxBoundaryLength} characters.")
            : boundary;
    }

    private static async Task<UploadForm> ReadFormAsync(Stream body, string boundary, string directory, long limit, CancellationToken cancellationToken)
    {
        var form = new UploadForm();
        var reader = new MultipartReader(boundary, body) { BodyLengthLimit = null };
        var section = await NextSectionAsync(reader, cancellationToken);
        while (section is not null)
        {
            if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase))
            {
                throw new BadRequestException("Every multipart section needs a form-data Content-Disposition with a name.");
            }

            var field = HeaderUtilities.RemoveQuotes(disposition.Name).Value;
            switch (field)
            {
                case "file":
                    if (form.File is not null)
                    {
                        throw new BadRequestException("The form field 'file' is given more than once.");
                    }

                    CheckFileType(section.ContentType);
                    var fileName = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value;
                    form.File = await UploadFiles.SaveAsync(new MalformedAsBadRequestStream(section.Body), Path.Combine(directory, "upload"), limit, Path.GetFileName(fileName), cancellationToken);
                    break;
                case "params":
                    form.Params = form.Params is null ? await ReadFieldAsync(section, field, cancellationToken) : throw Duplicate(field);
                    break;
                case "url":
                    form.Url = form.Url is null ? await ReadFieldAsync(section, field, cancellationToken) : throw Duplicate(field);
                    break;
                default:
                    throw new BadRequestException($"Unknown form field '{field}': send 'params' and 'file' or 'url'.");
            }

            section = await NextSectionAsync(reader, cancellationToken);
        }

        return form;
    }

    private static async Task<MultipartSection?> NextSectionAsync(MultipartReader reader, CancellationToken cancellationToken)
    {
        try
        {
            return await reader.ReadNextSectionAsync(cancellationToken);
        }
        catch (Exception e) when (IsMalformedBody(e))
        {
            throw Malformed(e);
        }
    }

    // The multipart reader's complaints about the body (no boundary, a cut-off section, an over-long header line) are
    // the client's mistake; a body over the server's own limit keeps its 413 (BadHttpRequestException).
    private static bool IsMalformedBody(Exception e) => e is (IOException or InvalidDataException) and not BadHttpRequestException;

    private static BadRequestException Malformed(Exception e) => new($"The multipart body is malformed: {e.Message}");

    private static void CheckFileType(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType))
        {
            return;
        }

        var media = MediaTypeHeaderValue.TryParse(contentType, out var parsed) ? parsed.MediaType.Value ?? "" : contentType;
        if (!AcceptedFileTypes.Any(t => media.StartsWith(t, StringComparison.OrdinalIgnoreCase)))
        {
            throw new UnsupportedMediaTypeException($"Files of type '{media}' are not supported: upload CSV or JSON text.");
        }
    }

    private static async Task<string> ReadFieldAsync(MultipartSection section, string field, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        var body = new MalformedAsBadRequestStream(section.Body);
        while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxFieldBytes)
            {
                throw new PayloadTooLargeException($"The form field '{field}' is larger than {MaxFieldBytes} bytes.");
            }

            buffer.Write(chunk, 0, read);
        }

        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        }
        catch (DecoderFallbackException)
        {
            throw new BadRequestException($"The form field '{field}' is not valid UTF-8.");
        }
    }

    private static BadRequestException Duplicate(string field) => new($"The form field '{field}' is given more than once.");

    /// <summary>A multipart section's body whose read errors (a section cut off before its boundary) are a 400.</summary>
    private sealed class MalformedAsBadRequestStream(Stream inner) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            try
            {
                return inner.Read(buffer, offset, count);
            }
            catch (Exception e) when (IsMalformedBody(e))
            {
                throw Malformed(e);
            }
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            try
            {
                return await inner.ReadAsync(buffer, cancellationToken);
            }
            catch (Exception e) when (IsMalformedBody(e))
            {
                throw Malformed(e);
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private sealed class UploadForm
    {
        public string? Params { get; set; }

        public string? Url { get; set; }

        public StoredUpload? File { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Dataset {DatasetId} created: {Rows} rows from {Bytes} bytes")]
    private static partial void LogCreated(ILogger logger, long datasetId, long rows, long bytes);
}

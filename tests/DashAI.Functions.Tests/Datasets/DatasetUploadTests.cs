using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs.Models;
using DashAI.Functions.Datasets;
using DashAI.Functions.Tests.Infrastructure;

namespace DashAI.Functions.Tests.Datasets;

public sealed class DatasetUploadTests : IAsyncLifetime
{
    private readonly TestApp _app = TestApp.Create(settings: new Dictionary<string, string?> { ["DashAI:Datasets:MaxUploadBytes"] = "5000000" });
    private DatasetUploadFunction _upload = null!;
    private DatasetFileFunctions _files = null!;

    public Task InitializeAsync()
    {
        _upload = _app.Function<DatasetUploadFunction>();
        _files = _app.Function<DatasetFileFunctions>();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private async Task<TestResponse> Upload(object? parameters, byte[]? file = null, string fileName = "data.csv", string? contentType = "text/csv", string? url = null) =>
        await _app.Invoke(await Uploads.Request(_app, parameters, file, fileName, contentType, url), _upload.Create);

    private async Task AssertNothingStored()
    {
        Assert.Empty(await _app.Stores.Datasets.ListAsync(null, default));
        var blobs = new List<string>();
        await foreach (var blob in _app.Storage.Container(_app.Storage.Names.DatasetsContainer).GetBlobsAsync(BlobTraits.None, BlobStates.None, null, default))
        {
            blobs.Add(blob.Name);
        }

        Assert.Empty(blobs);
    }

    [Theory]
    [InlineData("iris.csv", "TabularClassificationTask", "species", 150)]
    [InlineData("wine.csv", "TabularClassificationTask", "cultivar", 178)]
    [InlineData("breast_cancer.csv", "TabularClassificationTask", "diagnosis", 569)]
    [InlineData("digits.csv", "TabularClassificationTask", "digit", 1797)]
    [InlineData("diabetes.csv", "RegressionTask", "progression", 442)]
    [InlineData("package_sections.csv", "TextClassificationTask", "section", 2000)]
    public async Task EveryReferenceDatasetUploadsWithItsSchemaSplitsAndHash(string file, string task, string label, long rows)
    {
        var bytes = Uploads.SharedFile(file);

        var response = await Upload(Uploads.Params(Path.GetFileNameWithoutExtension(file), task), bytes, file);

        response.AssertStatus(201);
        var json = response.Json;
        Assert.Equal(rows, json["rows"]!.GetValue<long>());
        Assert.Equal(bytes.Length, json["upload_bytes"]!.GetValue<long>());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), json["sha256"]!.GetValue<string>());
        Assert.Equal([label], json["output_columns"]!.AsArray().Select(c => c!.GetValue<string>()));
        Assert.DoesNotContain(label, json["input_columns"]!.AsArray().Select(c => c!.GetValue<string>()));
        var perSplit = json["rows_per_split"]!.AsObject();
        Assert.Equal(rows, perSplit.Sum(p => p.Value!.GetValue<long>()));
        Assert.All(perSplit, p => Assert.True(p.Value!.GetValue<long>() > 0));
        var columns = json["columns"]!.AsArray();
        Assert.All(columns, c => Assert.Contains(c!["type"]!.GetValue<string>(), new[] { "integer", "float", "boolean", "categorical", "text" }));
        Assert.Equal($"{_app.Storage.Names.DatasetsContainer}/{response.Id}/", json["file_path"]!.GetValue<string>());
        var container = _app.Storage.Container(_app.Storage.Names.DatasetsContainer);
        foreach (var split in new[] { "train", "validation", "test" })
        {
            Assert.True(await container.GetBlobClient(DatasetBlobs.Split(response.Id, split)).ExistsAsync(), split);
        }

        Assert.Equal(bytes, (await container.GetBlobClient(DatasetBlobs.Original(response.Id)).DownloadContentAsync()).Value.Content.ToArray());
    }

    [Fact]
    public async Task AJsonListOfRecordsUploadsAndAnObjectWithADataKeyToo()
    {
        var lines = File.ReadAllLines(RepoPaths.Sample("iris.csv"));
        var header = lines[0].Split(',');
        var records = new JsonArray(lines.Skip(1).Select(l =>
        {
            var values = l.Split(',');
            var record = new JsonObject();
            for (var i = 0; i < header.Length; i++)
            {
                record[header[i]] = i < 4 ? JsonValue.Create(double.Parse(values[i], System.Globalization.CultureInfo.InvariantCulture)) : values[i];
            }

            return (JsonNode)record;
        }).ToArray());

        var list = await Upload(Uploads.Params("iris-json", dataloader: "JSONDataLoader", dataloaderParams: new { }), Encoding.UTF8.GetBytes(records.ToJsonString()), "iris.json", "application/json");
        var wrapped = await Upload(
            Uploads.Params("iris-wrapped", dataloader: "JSONDataLoader", dataloaderParams: new { data_key = "rows" }),
            Encoding.UTF8.GetBytes(new JsonObject { ["rows"] = records.DeepClone() }.ToJsonString()), "iris.json", "application/json");

        list.AssertStatus(201);
        wrapped.AssertStatus(201);
        Assert.Equal(150, list.Json["rows"]!.GetValue<long>());
        Assert.Equal(150, wrapped.Json["rows"]!.GetValue<long>());
        Assert.Equal("species", list.Json["output_columns"]![0]!.GetValue<string>());
    }

    public static TheoryData<string, object?, string?, string> BadInputs => new()
    {
        { "malformed params", "{\"task_name\": ", "a,b\n1,x\n2,y\n", "params" },
        { "unknown dataloader", Uploads.Params("x", dataloader: "ParquetDataLoader"), "a,b\n1,x\n", "ParquetDataLoader" },
        { "unknown task", Uploads.Params("x", task: "ImageTask"), "a,b\n1,x\n", "ImageTask" },
        { "empty file", Uploads.Params("x"), "", "empty" },
        { "header only", Uploads.Params("x"), "a,b,c\n", "no data rows" },
        { "ragged rows", Uploads.Params("x"), "a,b,c\n1,2,x\n3,4\n5,6,y\n", "row 2" },
        { "undecodable bytes", Uploads.Params("x"), "a,b\n1,caf\u00e9\n", "UTF-8" },
        { "empty header cell", Uploads.Params("x"), "a,,c\n1,2,x\n3,4,y\n", "Column 2 of the header is empty" },
        { "duplicate header names", Uploads.Params("x"), "a,b,a\n1,2,x\n3,4,y\n", "'a' more than once (columns 1, 3)" },
        { "missing output column", Uploads.Params("x", outputs: ["nope"]), "a,b\n1,x\n2,y\n", "nope" },
        { "missing label values", Uploads.Params("x"), "a,b\n1,x\n2,\n3,y\n4,x\n5,y\n6,x\n7,y\n8,x\n9,y\n10,x\n", "missing" },
        { "stratify with a tiny class", Uploads.Params("x", splits: new { train_size = 0.8, test_size = 0.1, val_size = 0.1, seed = 1, shuffle = true, stratify = true }), "a,b\n" + string.Concat(Enumerable.Range(0, 30).Select(i => $"{i},big\n")) + "99,tiny\n", "tiny" },
        { "proportions not summing to one", Uploads.Params("x", splits: new { train_size = 0.8, test_size = 0.3, val_size = 0.1, seed = 1, shuffle = true, stratify = false }), "a,b\n1,x\n", "must be 1" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public async Task BadInputIsABadRequestNamingTheProblemAndStoresNothing(string why, object? parameters, string? csv, string mentions)
    {
        var bytes = csv is null ? null : why == "undecodable bytes" ? Encoding.Latin1.GetBytes(csv) : Encoding.UTF8.GetBytes(csv);

        var response = await Upload(parameters, bytes);

        response.AssertProblem(400);
        Assert.Contains(mentions, response.Body, StringComparison.OrdinalIgnoreCase);
        await AssertNothingStored();
    }

    [Theory]
    [InlineData("[{\"a\":1,\"b\":\"x\"},{\"a\":2,\"\":\"y\"}]", "Record 2: field 2 has an empty name")]
    [InlineData("[{\"a\":1,\"b\":\"x\",\"b\":\"y\"}]", "Record 1 has the field 'b' more than once")]
    public async Task AJsonRecordWithAnEmptyOrRepeatedKeyIsABadRequestAndStoresNothing(string json, string mentions)
    {
        var response = await Upload(
            Uploads.Params("x", dataloader: "JSONDataLoader", dataloaderParams: new { }), Encoding.UTF8.GetBytes(json), "x.json", "application/json");

        response.AssertProblem(400, mentions);
        await AssertNothingStored();
    }

    [Fact]
    public async Task NeitherFileNorUrlIsABadRequestAndAnEmptyUrlCountsAsAbsent()
    {
        var neither = await Upload(Uploads.Params("x"));
        var emptyUrl = await Upload(Uploads.Params("x"), url: "");

        neither.AssertProblem(400, "exactly one of");
        emptyUrl.AssertProblem(400, "exactly one of");
        await AssertNothingStored();
    }

    [Fact]
    public async Task BothFileAndUrlIsABadRequest()
    {
        var response = await Upload(Uploads.Params("x"), Encoding.UTF8.GetBytes("a,b\n1,x\n"), url: "https://example.org/data.csv");
        response.AssertProblem(400, "exactly one of");
        await AssertNothingStored();
    }

    [Fact]
    public async Task MissingParamsIsABadRequest()
    {
        var response = await Upload(null, Encoding.UTF8.GetBytes("a,b\n1,x\n"));
        response.AssertProblem(400, "'params'");
    }

    [Fact]
    public async Task AnUploadOverTheLimitIsTooLargeAndStoresNothing()
    {
        var big = Encoding.UTF8.GetBytes("a,b\n" + string.Concat(Enumerable.Range(0, 600_000).Select(i => $"{i},x\n")));
        Assert.True(big.Length > 5_000_000);

        var response = await Upload(Uploads.Params("big"), big);

        response.AssertProblem(413);
        await AssertNothingStored();
    }

    [Fact]
    public async Task ANonMultipartRequestIsUnsupportedMediaType()
    {
        var response = await _app.Invoke(_app.Request("POST", json: Uploads.Params("x")), _upload.Create);
        response.AssertProblem(415, "multipart/form-data");
    }

    [Fact]
    public async Task ABinaryFileTypeIsUnsupportedMediaType()
    {
        var response = await Upload(Uploads.Params("x"), [0x89, 0x50, 0x4E, 0x47], "image.png", "image/png");
        response.AssertProblem(415, "image/png");
        await AssertNothingStored();
    }

    [Fact]
    public async Task ADuplicateNameIsAConflictAndTheExistingDatasetIsUntouched()
    {
        var iris = Uploads.SharedFile("iris.csv");
        var first = await Upload(Uploads.Params("dup"), iris, "iris.csv");

        var second = await Upload(Uploads.Params("dup"), Uploads.SharedFile("wine.csv"), "wine.csv");

        first.AssertStatus(201);
        second.AssertProblem(409, "dup");
        var datasets = await _app.Stores.Datasets.ListAsync(null, default);
        var only = Assert.Single(datasets);
        Assert.Equal(first.Json["sha256"]!.GetValue<string>(), only.Sha256);
        Assert.Equal(150, only.Rows);
    }

    [Fact]
    public async Task TwoConcurrentUploadsWithOneNameExactlyOneWinsAndTheLoserLeavesNoBlobs()
    {
        var iris = Uploads.SharedFile("iris.csv");
        var requests = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Uploads.Request(_app, Uploads.Params("race"), iris, "iris.csv")));

        var responses = await Task.WhenAll(requests.Select(r => _app.Invoke(r, _upload.Create)));

        var winner = Assert.Single(responses, r => r.Status == 201);
        Assert.All(responses.Where(r => r.Status != 201), r => r.AssertProblem(409));
        var prefixes = new HashSet<string>();
        await foreach (var blob in _app.Storage.Container(_app.Storage.Names.DatasetsContainer).GetBlobsAsync(BlobTraits.None, BlobStates.None, null, default))
        {
            prefixes.Add(blob.Name.Split('/')[0]);
        }

        Assert.Equal([winner.Id.ToString()], prefixes);
    }

    [Fact]
    public async Task TheSameSeedGivesTheSameSplitAndShuffleFalseKeepsFileOrder()
    {
        var wine = Uploads.SharedFile("wine.csv");
        var a = await Upload(Uploads.Params("seed-a"), wine);
        var b = await Upload(Uploads.Params("seed-b"), wine);
        var ordered = await Upload(Uploads.Params("ordered", splits: new { train_size = 0.8, test_size = 0.1, val_size = 0.1, seed = 42, shuffle = false, stratify = false }), wine);

        var container = _app.Storage.Container(_app.Storage.Names.DatasetsContainer);
        async Task<string> Split(long id, string split) => (await container.GetBlobClient(DatasetBlobs.Split(id, split)).DownloadContentAsync()).Value.Content.ToString();
        Assert.Equal(await Split(a.Id, "test"), await Split(b.Id, "test"));
        Assert.Equal(await Split(a.Id, "train"), await Split(b.Id, "train"));

        var firstTrainRow = (await Split(ordered.Id, "train")).Split('\n')[1];
        var firstFileRow = Encoding.UTF8.GetString(wine).Split('\n')[1].Trim();
        Assert.StartsWith(firstFileRow.Split(',')[0], firstTrainRow);
    }

    [Fact]
    public async Task InfoSampleAndFileServeTheDataset()
    {
        var iris = Uploads.SharedFile("iris.csv");
        var created = await Upload(Uploads.Params("iris-files"), iris, "iris.csv");
        var id = created.Id.ToString();

        var info = await _app.Invoke(_app.Request("GET"), (r, ct) => _files.Info(r, id, ct));
        var sample = await _app.Invoke(_app.Request("GET", query: "split=test&n=3"), (r, ct) => _files.Sample(r, id, ct));
        var file = await _app.Invoke(_app.Request("GET"), (r, ct) => _files.File(r, id, ct));
        var badSplit = await _app.Invoke(_app.Request("GET", query: "split=nope"), (r, ct) => _files.Sample(r, id, ct));
        var badN = await _app.Invoke(_app.Request("GET", query: "n=0"), (r, ct) => _files.Sample(r, id, ct));
        var missing = await _app.Invoke(_app.Request("GET"), (r, ct) => _files.Info(r, "999999", ct));

        info.AssertStatus(200);
        Assert.Equal(5, info.Json["columns"]!.AsArray().Count);
        Assert.Equal("float", info.Json["columns"]![0]!["type"]!.GetValue<string>());
        Assert.Equal(150, info.Json["rows"]!.GetValue<long>());
        sample.AssertStatus(200);
        var rows = sample.Json.AsArray();
        Assert.Equal(3, rows.Count);
        Assert.Equal(System.Text.Json.JsonValueKind.Number, JsonValueKind(rows[0]!["sepal_length"]));
        Assert.Equal(System.Text.Json.JsonValueKind.String, JsonValueKind(rows[0]!["species"]));
        file.AssertStatus(200);
        Assert.Equal(Encoding.UTF8.GetString(iris), file.Body);
        badSplit.AssertProblem(400, "split");
        badN.AssertProblem(400, "'n'");
        missing.AssertProblem(404, "Dataset not found");
    }

    [Fact]
    public async Task AMultiMegabyteStreamedUploadIsStoredWhole()
    {
        await using var app = TestApp.Create();
        using var body = new GeneratedCsv(rows: 250_000);
        var request = await Uploads.Request(app, Uploads.Params("streamed"), fileStream: body);

        var response = await app.Invoke(request, app.Function<DatasetUploadFunction>().Create);

        response.AssertStatus(201);
        Assert.Equal(250_000, response.Json["rows"]!.GetValue<long>());
        Assert.Equal(body.Position, response.Json["upload_bytes"]!.GetValue<long>());
        Assert.True(body.Position > 4_000_000);
    }

    private static System.Text.Json.JsonValueKind JsonValueKind(JsonNode? node) => node!.GetValueKind();

    /// <summary>A CSV produced on the fly as it is read, so the test itself never holds the upload in memory.</summary>
    private sealed class GeneratedCsv(int rows) : Stream
    {
        private readonly byte[] _header = Encoding.ASCII.GetBytes("x1,x2,x3,label\n");
        private int _row = -1;
        private byte[] _current = [];
        private int _offset;
        private long _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_offset == _current.Length)
            {
                if (_row >= rows)
                {
                    return 0;
                }

                _current = _row < 0 ? _header : Encoding.ASCII.GetBytes($"{_row * 0.5},{_row % 97},{(_row * 7) % 13 + 0.25},{(_row % 3 == 0 ? "a" : _row % 3 == 1 ? "b" : "c")}\n");
                _row++;
                _offset = 0;
            }

            var n = Math.Min(count, _current.Length - _offset);
            Array.Copy(_current, _offset, buffer, offset, n);
            _offset += n;
            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

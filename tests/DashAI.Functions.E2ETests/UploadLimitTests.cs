using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace DashAI.Functions.E2ETests;

/// <summary>
/// Upload sizes through the real worker's HTTP server: up to DashAI__Datasets__MaxUploadBytes (100 MiB by default)
/// an upload succeeds, above it the answer is a 413 problem document, whether the client declares the size
/// (Content-Length) or streams it (chunked). The worker's server has a smaller default body limit of its own.
/// </summary>
public sealed class UploadLimitTests(DashAIFixture fixture) : IClassFixture<DashAIFixture>
{
    private const long MiB = 1024 * 1024;

    [Fact]
    public async Task A60MegabyteUploadSucceeds()
    {
        var name = $"big-{Guid.NewGuid().ToString("N")[..8]}";
        using var form = Form(name, new CsvStream(60_000_000), declareLength: true);

        using var response = await fixture.Client.PostAsync("api/v1/dataset", form);

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode}: {body}{Environment.NewLine}{fixture.Log.Tail()}");
        var dataset = JsonNode.Parse(body)!;
        Assert.Equal(60_000_000, dataset["upload_bytes"]!.GetValue<long>());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task An101MebibyteUploadIsA413ProblemWithOrWithoutContentLength(bool declareLength)
    {
        var name = $"huge-{Guid.NewGuid().ToString("N")[..8]}";
        using var form = Form(name, new CsvStream(101 * MiB), declareLength);
        Assert.Equal(declareLength, form.Headers.ContentLength is not null);

        using var response = await fixture.Client.PostAsync("api/v1/dataset", form);

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.RequestEntityTooLarge, $"{(int)response.StatusCode}: {body}{Environment.NewLine}{fixture.Log.Tail()}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(body)!;
        Assert.Equal(413, problem["status"]!.GetValue<int>());
        Assert.Contains("limit", problem["detail"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
        var datasets = await fixture.Client.GetFromJsonAsync<JsonArray>("api/v1/dataset");
        Assert.DoesNotContain(datasets!, d => d!["name"]!.GetValue<string>() == name);
    }

    private static MultipartFormDataContent Form(string name, CsvStream csv, bool declareLength)
    {
        var parameters = new JsonObject
        {
            ["task_name"] = "TabularClassificationTask",
            ["dataloader"] = "CSVDataLoader",
            ["dataset_name"] = name,
        };
        var form = new MultipartFormDataContent
        {
            { new StringContent(parameters.ToJsonString(), Encoding.UTF8, "application/json"), "params" },
        };
        HttpContent file = declareLength ? new SizedStreamContent(csv) : new StreamContent(csv);
        file.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        form.Add(file, "file", "big.csv");
        return form;
    }

    /// <summary>A CSV of exactly the given size, generated as it is read (two classes, so the split works).</summary>
    private sealed class CsvStream(long length) : Stream
    {
        private static readonly byte[] Header = "x,y,label\n"u8.ToArray();
        private static readonly byte[] Rows = "12345678,0.25,a\n12345679,0.75,b\n"u8.ToArray();
        private readonly long _rows = (length - Header.Length) / 16;
        private readonly long _padding = (length - Header.Length) % 16;
        private long _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, length - _position);
            for (var i = 0; i < n; i++)
            {
                buffer[offset + i] = ByteAt(_position + i);
            }

            _position += n;
            return n;
        }

        // Rows of 16 bytes; the last row takes the bytes that do not fill a row as leading zeros of its first number.
        private byte ByteAt(long index)
        {
            if (index < Header.Length)
            {
                return Header[index];
            }

            var offset = index - Header.Length;
            var lastRow = (_rows - 1) * 16;
            if (offset < lastRow)
            {
                return Rows[offset % 32];
            }

            var inLast = offset - lastRow;
            return inLast < _padding ? (byte)'0' : Rows[((_rows - 1) % 2 * 16) + inLast - _padding];
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>Stream content whose length is declared, so the request carries Content-Length.</summary>
    private sealed class SizedStreamContent(CsvStream csv) : StreamContent(csv)
    {
        private readonly long _length = csv.Length;

        protected override bool TryComputeLength(out long length)
        {
            length = _length;
            return true;
        }
    }
}

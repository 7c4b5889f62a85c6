using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Azure.Storage.Blobs.Models;
using CsCheck;
using DashAI.Functions.Datasets;
using DashAI.Functions.Jobs;
using DashAI.Functions.Runs;
using DashAI.Functions.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Xunit.Abstractions;

namespace DashAI.Functions.Tests.Http;

/// <summary>
/// The guarantee over every HTTP route (found from the function classes' [HttpTrigger] attributes, so a new route is
/// covered without touching this test): whatever ids, query strings, If-Match and Content-Type headers and bodies a
/// client sends, the answer is never a 5xx, a 4xx is a problem document, and a 4xx leaves storage as it was.
/// Cases come from a fixed seed; a failure prints the case, its seed and how to replay it.
/// Set DASHAI_PROPERTY_SEED to explore other cases, DASHAI_PROPERTY_CASES for more (or fewer) cases per route and
/// DASHAI_PROPERTY_ROUTE (a function name) to run one route.
/// </summary>
public sealed class RoutePropertyTests(ITestOutputHelper output)
{
    private const ulong DefaultSeed = 20261205;
    private const int DefaultCasesPerRoute = 200;

    private static readonly string[] FieldNames =
    [
        "name", "task_name", "dataset_id", "experiment_id", "model_name", "description", "parameters", "seed",
        "run_name", "run_description", "run_id", "job_id", "split", "n", "status", "select_types", "related_component",
    ];

    private static readonly Gen<string> Text = Gen.OneOf<string>(
        Gen.OneOf<string>("", " ", "x", "TabularClassificationTask", "RegressionTask", "LogisticRegression", "LightGbmClassifier", "train",
            "queued", "all", "Model", "null", "{", "[]", "\u0000", "é", "\ud83d\ude00", "a\nb", "../../etc", "' or 1 eq 1", new string('x', 300)),
        Gen.String[Gen.Char, 0, 12]);

    private static readonly Gen<string> Id = Gen.OneOf<string>(
        Gen.OneOf<string>("1", "2", "3", "0", "-1", "abc", "", " ", "1.5", "1e3", "0x10", "99999999999999999999", "9223372036854775807", "00000000000000000002", "\u0661", "%31"),
        Gen.Long[-5, 10].Select(l => l.ToString(CultureInfo.InvariantCulture)));

    private static readonly Gen<string> Scalar = Gen.OneOf<string>(
        Id,
        Text.Select(s => System.Text.Json.JsonSerializer.Serialize(s)),
        Gen.OneOf<string>("null", "true", "false", "1.5", "-0", "1e400", "12345678901234567890", "{}", "[]", """{"maximum_number_of_iterations": 5}""", """{"a": 1, "a": 2}"""));

    private static readonly Gen<string> IfMatch = Gen.OneOf<string>(
        Gen.OneOf<string>("", "*", "garbage", "\"nope\"", "W/\"nope\"", "\"a\", \"b\"", "W/", "\"", "W/\"datetime'2001-01-01T00%3A00%3A00Z'\"", "\"\u00e9\""),
        Text);

    private static readonly Gen<string?> ContentType = Gen.OneOf<string?>(
        null, "application/json", "application/json; charset=utf-8", "text/plain", "application/xml", "garbage", ";;",
        "multipart/form-data", "multipart/form-data; boundary=b0und", "multipart/form-data; boundary=\"b0und\"", "multipart/form-data; boundary=",
        "multipart/form-data; boundary=" + new string('b', 100), "multipart/form-data; boundary=" + new string('b', 5000), "multipart/mixed; boundary=b0und");

    private readonly ITestOutputHelper _output = output;

    [Fact]
    public async Task NoRouteAnswers5xxAnd4xxAreProblemDocumentsThatStoreNothing()
    {
        var seed = ulong.TryParse(Environment.GetEnvironmentVariable("DASHAI_PROPERTY_SEED"), CultureInfo.InvariantCulture, out var s) ? s : DefaultSeed;
        var cases = int.TryParse(Environment.GetEnvironmentVariable("DASHAI_PROPERTY_CASES"), CultureInfo.InvariantCulture, out var c) ? c : DefaultCasesPerRoute;
        var stopwatch = Stopwatch.StartNew();
        var statuses = new System.Collections.Concurrent.ConcurrentDictionary<int, int>();

        // Two routes at a time: each has its own app (its own tables, containers and queues) seeded the same way.
        using var gate = new SemaphoreSlim(2);
        var only = Environment.GetEnvironmentVariable("DASHAI_PROPERTY_ROUTE");
        var failures = await Task.WhenAll(HttpRoute.All.Select(async (route, index) =>
        {
            if (only is { Length: > 0 } && only != route.Name)
            {
                return null;
            }

            await gate.WaitAsync();
            try
            {
                return await CheckRouteAsync(route, (uint)index, seed, cases, statuses);
            }
            finally
            {
                gate.Release();
            }
        }));

        _output.WriteLine($"{HttpRoute.All.Count} routes x {cases} cases in {stopwatch.Elapsed.TotalSeconds:F1} s; statuses: {string.Join(", ", statuses.OrderBy(p => p.Key).Select(p => $"{p.Key}x{p.Value}"))}");
        var failed = failures.Where(f => f is not null).ToList();
        Assert.True(failed.Count == 0, string.Join(Environment.NewLine + Environment.NewLine, failed));
    }

    private static async Task<string?> CheckRouteAsync(HttpRoute route, uint stream, ulong seed, int cases, System.Collections.Concurrent.ConcurrentDictionary<int, int> statuses)
    {
        var writes = new WriteCounter();
        await using var app = TestApp.Create(services => writes.Watch(services));
        await SeedAsync(app);
        var generator = CaseFor(route);
        var before = await SnapshotAsync(app);
        for (var k = 0; k < cases; k++)
        {
            var caseSeed = seed + (ulong)k;
            var generated = generator.Generate(new PCG(stream, caseSeed), null, out _);
            var request = generated.Build(app);
            var writesBefore = writes.Count;
            TestResponse response;
            try
            {
                response = await app.Invoke(request, (r, ct) => route.InvokeAsync(app, r, generated.RouteValues, ct));
            }
            catch (Exception e)
            {
                return Describe(route, k, seed, generated, $"rendering the answer threw {e}");
            }

            statuses.AddOrUpdate(response.Status, 1, (_, n) => n + 1);
            var problem = Problem(response);
            if (problem is not null)
            {
                return Describe(route, k, seed, generated, problem);
            }

            // A case that sent storage no write cannot have changed it; the others are compared entity by entity.
            if (writes.Count == writesBefore)
            {
                continue;
            }

            var after = await SnapshotAsync(app);
            if (response.Status >= 400 && !after.SequenceEqual(before))
            {
                var changed = after.Except(before).Concat(before.Except(after).Select(x => "removed " + x));
                return Describe(route, k, seed, generated, $"answered {response.Status} but changed storage: {string.Join("; ", changed)}");
            }

            before = after;
        }

        return null;
    }

    private static string? Problem(TestResponse response)
    {
        if (response.Status >= 500)
        {
            return $"answered {response.Status}: {response.Body}";
        }

        if (response.Status < 400)
        {
            return null;
        }

        if (response.ContentType != "application/problem+json")
        {
            return $"answered {response.Status} as '{response.ContentType}', not a problem document: {response.Body}";
        }

        try
        {
            var json = JsonNode.Parse(response.Body)!;
            return json["status"]?.GetValue<int>() == response.Status
                && !string.IsNullOrWhiteSpace(json["title"]?.GetValue<string>())
                && !string.IsNullOrWhiteSpace(json["detail"]?.GetValue<string>())
                ? null
                : $"answered {response.Status} with an incomplete problem document: {response.Body}";
        }
        catch (System.Text.Json.JsonException)
        {
            return $"answered {response.Status} with a body that is not JSON: {response.Body}";
        }
    }

    private static string Describe(HttpRoute route, int k, ulong seed, GeneratedRequest request, string problem) =>
        $"{route}, case {k} of seed {seed} {problem}{Environment.NewLine}  request: {request}{Environment.NewLine}" +
        $"  replay (on freshly seeded storage): DASHAI_PROPERTY_SEED={seed + (ulong)k} DASHAI_PROPERTY_CASES=1 DASHAI_PROPERTY_ROUTE={route.Name}";

    /// <summary>Every route gets: a route id, a query of known and unknown names, If-Match and Content-Type, and a body.</summary>
    private static Gen<GeneratedRequest> CaseFor(HttpRoute route)
    {
        var query = Gen.Select(Gen.OneOf<string>(Gen.OneOf<string>(FieldNames), Text), Scalar.Select(Unquote)).Array[0, 4]
            .Select(pairs => string.Join('&', pairs.Select(p => $"{Uri.EscapeDataString(p.Item1)}={Uri.EscapeDataString(p.Item2)}")));
        var headers = Gen.Select(Gen.Bool, IfMatch, ContentType);
        var body = route.Name == "CreateDataset" ? Gen.Frequency((3, MultipartBody), (1, JsonBody)) : Gen.Frequency((4, JsonBody), (1, MultipartBody));
        return Gen.Select(Id, query, headers, body).Select((id, q, h, b) => new GeneratedRequest(
            route.Method,
            route.RouteParameters.ToDictionary(p => p, _ => (string)id),
            q,
            h.Item1 ? h.Item2 : null,
            b.ContentType ?? h.Item3,
            b.Bytes));
    }

    private static string Unquote(string json) => json.Length >= 2 && json[0] == '"' && json[^1] == '"' ? json[1..^1] : json;

    private static readonly Gen<(string? ContentType, byte[]? Bytes)> JsonBody = Gen.Frequency(
        (1, Gen.Const<(string?, byte[]?)>((null, null))),
        (4, JsonObjectText(2).Select(t => ((string?)null, (byte[]?)Encoding.UTF8.GetBytes(t)))),
        (1, JsonValueText(2).Select(t => ((string?)null, (byte[]?)Encoding.UTF8.GetBytes(t)))),
        (1, Gen.Select(JsonObjectText(2), Gen.Int[0, 40]).Select((t, cut) => ((string?)null, (byte[]?)Encoding.UTF8.GetBytes(t[..Math.Min(cut, t.Length)])))),
        (1, Gen.Byte.Array[1, 20].Select(b => ((string?)null, (byte[]?)b))));

    private static readonly Gen<(string? ContentType, byte[]? Bytes)> MultipartBody =
        Gen.Select(JsonObjectText(2), Gen.Bool, Gen.Bool, Gen.Int[0, 400], Gen.OneOf<string>("b0und", "other", "")).Select((paramsJson, validParams, withFile, cut, boundary) =>
        {
            var parameters = validParams
                ? $$"""{"task_name": "TabularClassificationTask", "dataloader": "CSVDataLoader", "dataset_name": "p{{cut}}"}"""
                : paramsJson;
            var text = new StringBuilder()
                .Append($"--{boundary}\r\nContent-Disposition: form-data; name=\"params\"\r\n\r\n{parameters}\r\n");
            if (withFile)
            {
                text.Append($"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"d.csv\"\r\nContent-Type: text/csv\r\n\r\n")
                    .Append("a,b,label\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n9,1,x\n2,3,y\n4,5,x\n6,7,y\n8,9,x\n1,1,y\n\r\n");
            }

            text.Append($"--{boundary}--\r\n");
            var whole = text.ToString();
            var body = cut >= 350 ? whole : whole[..Math.Min(whole.Length, cut)];
            return ((string?)"multipart/form-data; boundary=b0und", (byte[]?)Encoding.UTF8.GetBytes(body));
        });

    /// <summary>JSON objects with known fields (right and wrong types), unknown fields and, sometimes, a key twice.</summary>
    private static Gen<string> JsonObjectText(int depth) =>
        Gen.Select(Gen.Select(Gen.OneOf<string>(Gen.OneOf<string>(FieldNames), Text), JsonValueText(depth - 1)).Array[0, 5], Gen.Int[0, 5]).Select((members, duplicate) =>
        {
            var list = members.Select(m => $"{System.Text.Json.JsonSerializer.Serialize(m.Item1)}: {m.Item2}").ToList();
            if (duplicate == 0 && list.Count > 0)
            {
                list.Add(list[0]);
            }

            return "{" + string.Join(", ", list) + "}";
        });

    private static Gen<string> JsonValueText(int depth) => depth <= 0
        ? Scalar
        : Gen.Frequency((5, Scalar), (1, Gen.Const(0).SelectMany(_ => JsonObjectText(depth))), (1, Scalar.Array[0, 3].Select(items => "[" + string.Join(", ", items) + "]")));

    /// <summary>The same few objects in every route's app: datasets 1 (no files) and 2 (uploaded), experiment 1, runs 1 and 2, job 1.</summary>
    private static async Task SeedAsync(TestApp app)
    {
        var empty = await Seed.Dataset(app, "seeded");
        var upload = app.Function<DatasetUploadFunction>();
        var uploaded = await app.Invoke(
            await Uploads.Request(app, Uploads.Params("uploaded"), Encoding.UTF8.GetBytes("a,b,label\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n9,1,x\n2,3,y\n4,5,x\n6,7,y\n8,9,x\n1,1,y\n")),
            upload.Create);
        uploaded.AssertStatus(201);
        var experiment = await Seed.Experiment(app, empty.Id);
        var run = await Seed.Run(app, experiment.Id);
        await Seed.Run(app, experiment.Id, RunStatus.Finished);
        await app.Invoke(app.Request("POST", query: $"run_id={run.Id}"), app.Function<JobFunctions>().Enqueue);
    }

    /// <summary>Every entity (keys and ETag), blob (name and ETag) and queued message count, counter rows aside (ids are never reused, so a refused create may use one up).</summary>
    private static async Task<List<string>> SnapshotAsync(TestApp app)
    {
        var names = app.Storage.Names;
        var state = new List<string>();
        foreach (var table in new[] { names.DatasetsTable, names.ExperimentsTable, names.RunsTable, names.JobsTable, names.PredictionsTable, names.ExplainersTable, names.TrialsTable })
        {
            await foreach (var entity in app.Storage.Table(table).QueryAsync<TableEntity>(select: ["PartitionKey", "RowKey"]))
            {
                if (entity.RowKey != "~counter")
                {
                    state.Add($"{table}/{entity.RowKey} {entity.ETag}");
                }
            }
        }

        foreach (var container in new[] { names.DatasetsContainer, names.ModelsContainer, names.ArtifactsContainer })
        {
            await foreach (var blob in app.Storage.Container(container).GetBlobsAsync(BlobTraits.None, BlobStates.None, null, default))
            {
                state.Add($"{container}/{blob.Name} {blob.Properties.ETag}");
            }
        }

        var queue = await app.Storage.Queue(names.TrainingQueueName).GetPropertiesAsync();
        state.Add($"queue {queue.Value.ApproximateMessagesCount}");
        state.Sort(StringComparer.Ordinal);
        return state;
    }

    /// <summary>Counts the write requests (anything but GET and HEAD) the app's storage clients send.</summary>
    private sealed class WriteCounter : Azure.Core.Pipeline.HttpPipelineSynchronousPolicy
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public override void OnSendingRequest(Azure.Core.HttpMessage message)
        {
            if (message.Request.Method != Azure.Core.RequestMethod.Get && message.Request.Method != Azure.Core.RequestMethod.Head)
            {
                Interlocked.Increment(ref _count);
            }
        }

        /// <summary>Replaces the app's storage clients with ones that report to this counter (same account, same queue encoding).</summary>
        public void Watch(Microsoft.Extensions.DependencyInjection.IServiceCollection services)
        {
            var connection = AzuriteServer.Instance.ConnectionString;
            var tables = new TableClientOptions();
            tables.AddPolicy(this, Azure.Core.HttpPipelinePosition.PerRetry);
            var blobs = new Azure.Storage.Blobs.BlobClientOptions();
            blobs.AddPolicy(this, Azure.Core.HttpPipelinePosition.PerRetry);
            var queues = new Azure.Storage.Queues.QueueClientOptions { MessageEncoding = Azure.Storage.Queues.QueueMessageEncoding.Base64 };
            queues.AddPolicy(this, Azure.Core.HttpPipelinePosition.PerRetry);
            Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions.AddSingleton(services, new TableServiceClient(connection, tables));
            Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions.AddSingleton(services, new Azure.Storage.Blobs.BlobServiceClient(connection, blobs));
            Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions.AddSingleton(services, new Azure.Storage.Queues.QueueServiceClient(connection, queues));
        }
    }

    private sealed record GeneratedRequest(string Method, Dictionary<string, string> RouteValues, string Query, string? IfMatch, string? ContentType, byte[]? Body)
    {
        public HttpRequest Build(TestApp app)
        {
            var request = app.Request(Method, query: Query.Length == 0 ? null : Query);
            if (IfMatch is not null)
            {
                request.Headers.IfMatch = IfMatch;
            }

            if (ContentType is not null)
            {
                request.ContentType = ContentType;
            }

            if (Body is not null)
            {
                request.Body = new MemoryStream(Body);
                request.ContentLength = Body.Length;
            }

            return request;
        }

        public override string ToString()
        {
            var body = Body is null ? "(none)" : Encoding.UTF8.GetString(Body);
            return $"{Method} {string.Join(",", RouteValues.Select(p => $"{{{p.Key}}}='{p.Value}'"))} ?{Query} If-Match: {IfMatch ?? "(none)"} Content-Type: {ContentType ?? "(none)"} body: {(body.Length > 600 ? body[..600] + "…" : body)}";
        }
    }
}

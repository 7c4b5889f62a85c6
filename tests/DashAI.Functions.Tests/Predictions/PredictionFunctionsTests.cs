using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using DashAI.Functions.Datasets;
using DashAI.Functions.Jobs;
using DashAI.Functions.Predictions;
using DashAI.Functions.Runs;
using DashAI.Functions.Tests.Infrastructure;
using DashAI.ML.Data;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace DashAI.Functions.Tests.Predictions;

/// <summary>One iris run trained through the queue, shared by the tests that only read it.</summary>
public sealed class IrisRunFixture : IAsyncLifetime
{
    public TestApp App { get; } = TestApp.Create();

    public PredictionFlow Flow { get; private set; } = null!;

    public long DatasetId { get; private set; }

    public long RunId { get; private set; }

    public async Task InitializeAsync()
    {
        Flow = new PredictionFlow(App);
        (DatasetId, RunId) = await Flow.TrainAsync("iris.csv", "LogisticRegression");
    }

    public async Task DisposeAsync() => await App.DisposeAsync();
}

public sealed class PredictionFunctionsTests(IrisRunFixture fixture) : IClassFixture<IrisRunFixture>
{
    private PredictionFlow Flow => fixture.Flow;

    private TestApp App => fixture.App;

    [Fact]
    public async Task TheTestSplitPostedAsCsvGetsTheLabelsAndProbabilitiesOfTheSavedModel()
    {
        var split = (await App.Storage.Container(App.Storage.Names.DatasetsContainer)
            .GetBlobClient(DatasetBlobs.Split(fixture.DatasetId, SplitNames.Test)).DownloadContentAsync()).Value.Content.ToString();

        var response = (await Flow.PredictAsync(fixture.RunId, body: split, contentType: "text/csv")).AssertStatus(200);

        var predictions = response.Json["predictions"]!.AsArray();
        var (labels, scores, actual) = await ReferenceAsync(split);
        Assert.Equal(labels, predictions.Select(p => p!["label"]!.GetValue<string>()));
        for (var i = 0; i < predictions.Count; i++)
        {
            var probabilities = predictions[i]!["probabilities"]!.AsObject();
            Assert.Equal(["setosa", "versicolor", "virginica"], probabilities.Select(p => p.Key));
            Assert.Equal(scores[i], probabilities.Select(p => (float)p.Value!.GetValue<double>()));
            Assert.Equal(1.0, probabilities.Sum(p => p.Value!.GetValue<double>()), 5);
        }

        var run = await App.Stores.Runs.GetAsync(fixture.RunId, default);
        var accuracy = (double)labels.Zip(actual).Count(p => p.First == p.Second) / actual.Count;
        Assert.Equal(JsonNode.Parse(run.TestMetrics!)!["accuracy"]!.GetValue<double>(), accuracy, 9);
        Assert.Equal(["Column 'species' is the model's output column; its values were ignored."], response.Json["warnings"]!.AsArray().Select(w => w!.GetValue<string>()));
    }

    [Fact]
    public async Task JsonRowsAreScoredAndExtraColumnsAreNamedInWarnings()
    {
        var rows = PredictionFlow.Rows("iris.csv", "species", 3);
        rows[0]!["note"] = "extra";

        var response = (await Flow.PredictAsync(fixture.RunId, json: new JsonObject { ["rows"] = rows })).AssertStatus(200);

        Assert.Equal(3, response.Json["predictions"]!.AsArray().Count);
        Assert.Equal("setosa", response.Json["predictions"]![0]!["label"]!.GetValue<string>());
        Assert.Equal(["Column 'note' is not an input of the model; it was ignored."], response.Json["warnings"]!.AsArray().Select(w => w!.GetValue<string>()));
    }

    [Fact]
    public async Task WrongTypesAndMissingColumnsAre400sListingEveryProblem()
    {
        var rows = PredictionFlow.Rows("iris.csv", "species", 3);
        rows[0]!["sepal_length"] = "long";
        rows[2]!["petal_width"] = new JsonObject();
        var missing = new JsonArray(new JsonObject { ["sepal_length"] = 5.1 });

        var wrongType = (await Flow.PredictAsync(fixture.RunId, json: new JsonObject { ["rows"] = rows })).AssertProblem(400);
        var missingColumns = (await Flow.PredictAsync(fixture.RunId, json: new JsonObject { ["rows"] = missing })).AssertProblem(400);

        Assert.Equal(
            ["Row 1, column 'sepal_length': 'long' is not a number.", "Row 3, column 'petal_width': an object is not a value."],
            wrongType.Json["errors"]!.AsArray().Select(e => e!.GetValue<string>()));
        Assert.Equal(
            ["Input column 'sepal_width' is missing.", "Input column 'petal_length' is missing.", "Input column 'petal_width' is missing."],
            missingColumns.Json["errors"]!.AsArray().Select(e => e!.GetValue<string>()));
    }

    [Fact]
    public async Task MoreThanTenThousandRowsOrTenMegabytesIsA413PointingToBatchPredictions()
    {
        var one = PredictionFlow.Rows("iris.csv", "species", 1)[0]!;
        var rows = new JsonArray([.. Enumerable.Range(0, 10_001).Select(_ => one.DeepClone())]);
        var csv = new StringBuilder("sepal_length,sepal_width,petal_length,petal_width\n");
        for (var i = 0; i < 10_001; i++)
        {
            csv.Append("5.1,3.5,1.4,0.2\n");
        }

        var jsonRows = await Flow.PredictAsync(fixture.RunId, json: new JsonObject { ["rows"] = rows });
        var csvRows = await Flow.PredictAsync(fixture.RunId, body: csv.ToString(), contentType: "text/csv");
        var big = App.Request("POST", body: "{\"rows\": []}");
        big.ContentLength = 10_000_001;
        var bytes = await App.Invoke(big, (r, ct) => App.Function<PredictionFunctions>().Predict(r, fixture.RunId.ToString(CultureInfo.InvariantCulture), ct));

        foreach (var response in new[] { jsonRows, csvRows, bytes })
        {
            response.AssertProblem(413, "POST /api/v1/prediction");
        }

        jsonRows.AssertProblem(413, "At most 10,000 rows per request.");
        var exactly = new JsonArray([.. Enumerable.Range(0, 10_000).Select(_ => one.DeepClone())]);
        Assert.Equal(10_000, (await Flow.PredictAsync(fixture.RunId, json: new JsonObject { ["rows"] = exactly })).AssertStatus(200).Json["predictions"]!.AsArray().Count);
    }

    [Fact]
    public async Task ARunThatIsNotFinishedIsA409WithItsStatus()
    {
        var run = await App.Stores.Runs.GetAsync(fixture.RunId, default);
        var training = await Seed.Run(App, run.ExperimentId, RunStatus.Started);

        var response = await Flow.PredictAsync(training.Id, json: new JsonObject { ["rows"] = PredictionFlow.Rows("iris.csv", "species", 1) });

        response.AssertProblem(409, $"Run {training.Id} is STARTED (status 2); only a FINISHED run predicts.");
    }

    [Fact]
    public async Task OtherBodiesAre400sOr415s()
    {
        (await Flow.PredictAsync(fixture.RunId, body: "a,b", contentType: "text/plain")).AssertProblem(415);
        (await Flow.PredictAsync(fixture.RunId, json: new JsonObject { ["rows"] = new JsonArray(), ["limit"] = 3 })).AssertProblem(400, "limit");
        (await Flow.PredictAsync(fixture.RunId, json: new JsonObject { ["row"] = new JsonArray() })).AssertProblem(400);
        (await Flow.PredictAsync(fixture.RunId, body: "{\"rows\": [], \"rows\": []}")).AssertProblem(400, "more than once");
        (await Flow.PredictAsync(fixture.RunId, body: "")).AssertProblem(400);
        (await Flow.PredictAsync(999_999, json: new JsonObject { ["rows"] = new JsonArray() })).AssertProblem(404);
    }

    [Fact]
    public async Task TheModelDownloadsAsOnnxConvertedOnceAndKeptNextToTheZip()
    {
        var first = (await Flow.ModelAsync(fixture.RunId, "onnx")).AssertStatus(200);
        var stored = App.Storage.Container(App.Storage.Names.ModelsContainer).GetBlobClient(PredictionModels.OnnxBlobName(fixture.RunId));
        var modified = (await stored.GetPropertiesAsync()).Value.LastModified;

        var second = (await Flow.ModelAsync(fixture.RunId, "onnx")).AssertStatus(200);

        Assert.Equal("application/octet-stream", first.ContentType);
        Assert.Equal(ReadAll(first.RawBody), ReadAll(second.RawBody));
        Assert.Equal(modified, (await stored.GetPropertiesAsync()).Value.LastModified);
        Assert.Equal("application/zip", (await Flow.ModelAsync(fixture.RunId, null)).AssertStatus(200).ContentType);
        (await Flow.ModelAsync(fixture.RunId, "pmml")).AssertProblem(400, "use zip or onnx");
    }

    private static byte[] ReadAll(Stream stream)
    {
        stream.Position = 0;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>The stored model over the split as training read it: labels, probabilities and the true labels.</summary>
    private async Task<(List<string> Labels, List<float[]> Scores, List<string> Actual)> ReferenceAsync(string split)
    {
        var dataset = await App.Stores.Datasets.GetAsync(fixture.DatasetId, default);
        var schema = DatasetSchemaJson.FromEntity(dataset)!;
        var zip = (await App.Storage.Container(App.Storage.Names.ModelsContainer).GetBlobClient(RunFiles.ModelBlobName(fixture.RunId)).DownloadContentAsync()).Value.Content.ToStream();
        var path = Path.Combine(Path.GetTempPath(), $"dashai-split-{Guid.NewGuid():N}.csv");
        await File.WriteAllTextAsync(path, split);
        var mlContext = new MLContext(seed: 0);
        var scored = mlContext.Model.Load(zip, out _).Transform(CanonicalCsv.CreateLoader(mlContext, schema).Load(path));
        var labels = scored.GetColumn<ReadOnlyMemory<char>>(scored.Schema["PredictedLabel"]).Select(v => v.ToString()).ToList();
        var scores = scored.GetColumn<VBuffer<float>>(scored.Schema["Score"]).Select(v => v.DenseValues().ToArray()).ToList();
        var actual = scored.GetColumn<ReadOnlyMemory<char>>(scored.Schema["species"]).Select(v => v.ToString()).ToList();
        File.Delete(path);
        return (labels, scores, actual);
    }
}

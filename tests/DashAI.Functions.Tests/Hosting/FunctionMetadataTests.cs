using System.Text.Json.Nodes;
using DashAI.Functions.Tests.Infrastructure;

namespace DashAI.Functions.Tests.Hosting;

/// <summary>
/// Our guard for the binding glue, since the Functions host cannot run here: the metadata the build generates
/// is what the host reads to route requests and bind triggers.
/// </summary>
public sealed class FunctionMetadataTests
{
    public static TheoryData<string, string, string> HttpFunctions => new()
    {
        { "ListDatasets", "get", "dataset" },
        { "GetDataset", "get", "dataset/{id}" },
        { "UpdateDataset", "patch", "dataset/{id}" },
        { "DeleteDataset", "delete", "dataset/{id}" },
        { "ListExperiments", "get", "experiment" },
        { "GetExperiment", "get", "experiment/{id}" },
        { "CreateExperiment", "post", "experiment" },
        { "UpdateExperiment", "patch", "experiment/{id}" },
        { "DeleteExperiment", "delete", "experiment/{id}" },
        { "ListRuns", "get", "run" },
        { "GetRun", "get", "run/{id}" },
        { "CreateRun", "post", "run" },
        { "UpdateRun", "patch", "run/{id}" },
        { "DeleteRun", "delete", "run/{id}" },
        { "GetRunModel", "get", "run/{id}/model" },
        { "PredictRun", "post", "run/{id}/predict" },
        { "CreatePrediction", "post", "prediction" },
        { "ListPredictions", "get", "prediction" },
        { "GetPrediction", "get", "prediction/{id}" },
        { "GetPredictionFile", "get", "prediction/{id}/file" },
        { "DeletePrediction", "delete", "prediction/{id}" },
        { "EnqueueRun", "post", "job/runner" },
        { "ListJobs", "get", "job" },
        { "GetJob", "get", "job/{id}" },
        { "CancelJob", "delete", "job/{id}" },
        { "CancelJobByQuery", "delete", "job" },
        { "Health", "get", "health" },
        { "CreateDataset", "post", "dataset" },
        { "GetDatasetInfo", "get", "dataset/{id}/info" },
        { "GetDatasetSample", "get", "dataset/{id}/sample" },
        { "GetDatasetFile", "get", "dataset/{id}/file" },
        { "ListComponents", "get", "component" },
        { "GetComponent", "get", "component/{name}" },
        { "OpenApiDocument", "get", "openapi.json" },
        { "ApiDocs", "get", "docs" },
        { "ApiDocsAsset", "get", "docs/{file}" },
        { "CreateExplainer", "post", "explainer" },
        { "ListExplainers", "get", "explainer" },
        { "ListRunTrials", "get", "run/{id}/trials" },
        { "PlotRunTrials", "get", "run/{id}/trials/plot" },
        { "GetExplainer", "get", "explainer/{id}" },
        { "GetExplainerPlot", "get", "explainer/{id}/plot" },
        { "DeleteExplainer", "delete", "explainer/{id}" },
        { "GetLeaderboard", "get", "experiment/{id}/leaderboard" },
        { "GetLeaderboardPlot", "get", "experiment/{id}/leaderboard/plot" },
    };

    private static readonly Lazy<JsonArray> Metadata = new(() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(RepoPaths.FunctionsOutput, "functions.metadata")))!.AsArray());

    [Theory]
    [MemberData(nameof(HttpFunctions))]
    public void HttpFunctionHasItsRouteMethodAndHttpOutput(string name, string method, string route)
    {
        var function = Metadata.Value.SingleOrDefault(f => f!["name"]!.GetValue<string>() == name);
        Assert.True(function is not null, $"{name} is missing from functions.metadata");
        var bindings = function!["bindings"]!.AsArray();
        var trigger = Assert.Single(bindings, b => b!["type"]!.GetValue<string>() == "httpTrigger")!;
        Assert.Equal(route, trigger["route"]!.GetValue<string>());
        Assert.Equal([method], trigger["methods"]!.AsArray().Select(m => m!.GetValue<string>()));
        // Every endpoint needs a function key except the health probe.
        Assert.Equal(name is "Health" or "OpenApiDocument" or "ApiDocs" or "ApiDocsAsset" ? "Anonymous" : "Function", trigger["authLevel"]!.GetValue<string>());
        Assert.Contains(bindings, b => b!["type"]!.GetValue<string>() == "http" && b["direction"]!.GetValue<string>() == "Out");
    }

    [Theory]
    [InlineData("TrainRun", "training-jobs")]
    [InlineData("TrainRunPoison", "training-jobs-poison")]
    public void QueueFunctionListensOnItsQueueThroughTheHostStorageConnection(string name, string queue)
    {
        var function = Metadata.Value.Single(f => f!["name"]!.GetValue<string>() == name)!;
        var trigger = Assert.Single(function["bindings"]!.AsArray(), b => b!["type"]!.GetValue<string>() == "queueTrigger")!;
        Assert.Equal(queue, trigger["queueName"]!.GetValue<string>());
        Assert.Equal("In", trigger["direction"]!.GetValue<string>());
        var connection = trigger["connection"]?.GetValue<string>();
        Assert.True(connection is null or "AzureWebJobsStorage", $"unexpected connection {connection}");
    }

    [Fact]
    public void StaleJobsAreRecoveredOnATimer()
    {
        var function = Metadata.Value.Single(f => f!["name"]!.GetValue<string>() == "RecoverStaleJobs")!;
        var trigger = Assert.Single(function["bindings"]!.AsArray(), b => b!["type"]!.GetValue<string>() == "timerTrigger")!;
        Assert.Equal("0 */5 * * * *", trigger["schedule"]!.GetValue<string>());
    }

    [Fact]
    public void HostJsonTakesOneTrainingMessagePerInstanceAndPollsWithinTwoSeconds()
    {
        var queues = JsonNode.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "host.json")))!["extensions"]!["queues"]!;
        Assert.Equal(1, queues["batchSize"]!.GetValue<int>());
        Assert.Equal(0, queues["newBatchThreshold"]!.GetValue<int>());
        Assert.True(TimeSpan.Parse(queues["maxPollingInterval"]!.GetValue<string>()) <= TimeSpan.FromSeconds(2));
        Assert.Equal("base64", queues["messageEncoding"]!.GetValue<string>());
    }

    [Fact]
    public void EveryHttpFunctionIsListedHere()
    {
        var expected = HttpFunctions.Select(row => (string)row[0]).ToHashSet();
        var actual = Metadata.Value
            .Where(f => f!["bindings"]!.AsArray().Any(b => b!["type"]!.GetValue<string>() == "httpTrigger"))
            .Select(f => f!["name"]!.GetValue<string>());
        Assert.Empty(actual.Except(expected));
    }

    [Fact]
    public void TheAppHostJsonSetsTheApiRoutePrefix()
    {
        var host = JsonNode.Parse(File.ReadAllText(Path.Combine(RepoPaths.FunctionsOutput, "host.json")))!;
        Assert.Equal("api/v1", host["extensions"]!["http"]!["routePrefix"]!.GetValue<string>());
        Assert.Equal(
            File.ReadAllText(Path.Combine(RepoPaths.Root, "host.json")),
            File.ReadAllText(Path.Combine(RepoPaths.FunctionsOutput, "host.json")));
    }
}

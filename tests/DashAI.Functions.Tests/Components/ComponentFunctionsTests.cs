using DashAI.Functions.Components;
using DashAI.Functions.Tests.Infrastructure;

namespace DashAI.Functions.Tests.Components;

public sealed class ComponentFunctionsTests : IAsyncLifetime
{
    private readonly TestApp _app = TestApp.Create();
    private readonly ComponentFunctions _functions = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private Task<TestResponse> List(string query) =>
        _app.Invoke(_app.Request("GET", query: query), (r, ct) => _functions.List(r, ct));

    private static List<string> Names(TestResponse response) => response.Json.AsArray().Select(c => c!["name"]!.GetValue<string>()).ToList();

    [Fact]
    public async Task ModelsOfATaskAreListedWithTheirSchemas()
    {
        var response = await List("select_types=Model&related_component=TabularClassificationTask");

        response.AssertStatus(200);
        var names = Names(response);
        foreach (var model in new[] { "LightGbmClassifier", "FastTreeClassifier", "FastForestClassifier", "LogisticRegression", "SdcaMaximumEntropy", "LinearSvm" })
        {
            Assert.Contains(model, names);
        }

        Assert.DoesNotContain("SdcaRegressor", names);
        Assert.All(response.Json.AsArray(), c =>
        {
            Assert.Equal("Model", c!["type"]!.GetValue<string>());
            Assert.Equal("object", c["parameter_schema"]!["type"]!.GetValue<string>());
            Assert.Contains("TabularClassificationTask", c["compatible_tasks"]!.AsArray().Select(t => t!.GetValue<string>()));
        });
    }

    [Fact]
    public async Task ModelsListedForTextShowTheTextDefaults()
    {
        static double L2(TestResponse response) => response.Json.AsArray().Single(c => c!["name"]!.GetValue<string>() == "SdcaMaximumEntropy")!
            ["parameter_schema"]!["properties"]!["l2_regularization"]!["default"]!.GetValue<double>();

        var text = await List("select_types=Model&related_component=TextClassificationTask");
        var tabular = await List("select_types=Model&related_component=TabularClassificationTask");

        Assert.Equal(1e-4, L2(text));
        Assert.Equal(0.01, L2(tabular));
    }

    [Fact]
    public async Task SeveralTypesCanBeSelectedAtOnce()
    {
        var response = await List("select_types=Task,DataLoader");

        response.AssertStatus(200);
        var types = response.Json.AsArray().Select(c => c!["type"]!.GetValue<string>()).Distinct().Order().ToList();
        Assert.Equal(["DataLoader", "Task"], types);
        Assert.Contains("CSVDataLoader", Names(response));
        Assert.Contains("TextClassificationTask", Names(response));
    }

    [Fact]
    public async Task MetricsOfRegressionHaveADirection()
    {
        var response = await List("select_types=Metric&related_component=RegressionTask");

        var rmse = response.Json.AsArray().Single(c => c!["name"]!.GetValue<string>() == "rmse")!;
        Assert.Equal("lower", rmse["direction"]!.GetValue<string>());
        Assert.DoesNotContain("accuracy", Names(response));
    }

    [Fact]
    public async Task AnUnknownTypeIsABadRequest()
    {
        var response = await List("select_types=Model,Gadget");
        response.AssertProblem(400, "Gadget");
    }

    [Fact]
    public async Task OneComponentIsFoundByNameAndAnUnknownOneIsNotFound()
    {
        var found = await _app.Invoke(_app.Request("GET"), (r, _) => Task.FromResult(_functions.Get(r, "LightGbmRegressor")));
        var missing = await _app.Invoke(_app.Request("GET"), (r, _) => Task.FromResult(_functions.Get(r, "DeepThought")));

        found.AssertStatus(200);
        Assert.Equal("Model", found.Json["type"]!.GetValue<string>());
        Assert.Equal(["RegressionTask"], found.Json["compatible_tasks"]!.AsArray().Select(t => t!.GetValue<string>()));
        missing.AssertProblem(404, "DeepThought");
    }
}

using DashAI.Functions.Components;
using DashAI.Functions.Tests.Infrastructure;

namespace DashAI.Functions.Tests.Explainers;

public sealed class ExplainerComponentTests : IAsyncLifetime
{
    private readonly TestApp _app = TestApp.Create();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task TheComponentListShowsTheExplainersWithTheParameterSchemaOfATask()
    {
        var functions = new ComponentFunctions();

        var all = (await _app.Invoke(_app.Request("GET", query: "select_types=Explainer"), (r, ct) => functions.List(r, ct))).AssertStatus(200).Json.AsArray();
        var regression = (await _app.Invoke(_app.Request("GET", query: "select_types=Explainer&related_component=RegressionTask"), (r, ct) => functions.List(r, ct))).AssertStatus(200).Json.AsArray();

        Assert.Equal(["PermutationFeatureImportance", "PartialDependence", "FeatureContributions"], all.Select(c => c!["name"]!.GetValue<string>()));
        Assert.All(all, c => Assert.Equal("Explainer", c!["type"]!.GetValue<string>()));
        var pfi = regression[0]!["parameter_schema"]!["properties"]!;
        Assert.Equal("r2", pfi["scoring"]!["default"]!.GetValue<string>());
        Assert.Equal(10_000, pfi["max_samples"]!["default"]!.GetValue<int>());
        Assert.Equal("test", pfi["split"]!["default"]!.GetValue<string>());
    }
}

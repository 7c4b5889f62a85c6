using System.Text.Json.Nodes;
using DashAI.Functions.Predictions;
using DashAI.Functions.Runs;
using DashAI.Functions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace DashAI.Functions.Tests.Predictions;

/// <summary>The model cache as the predict endpoint uses it: one load under concurrent cold requests, a retrain serves the new model.</summary>
public sealed class PredictionCacheTests : IAsyncLifetime
{
    private readonly TestApp _app = TestApp.Create();
    private PredictionFlow _flow = null!;

    public Task InitializeAsync()
    {
        _flow = new PredictionFlow(_app);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task ConcurrentColdRequestsLoadOnceAndARetrainServesTheNewModel()
    {
        var (_, runId) = await _flow.TrainAsync("wine.csv", "LogisticRegression");
        var models = _app.Services.GetRequiredService<PredictionModels>();
        var rows = new JsonObject { ["rows"] = PredictionFlow.Rows("wine.csv", "cultivar", 20) };

        var answers = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => Task.Run(() => _flow.PredictAsync(runId, json: rows.DeepClone()))));

        Assert.Equal(1, models.Loads);
        var first = answers[0].AssertStatus(200).Body;
        Assert.All(answers, a => Assert.Equal(first, a.AssertStatus(200).Body));
        var before = Assert.Single(models.Cache.Keys);

        // Retrain with a much stronger penalty: a new model blob, new probabilities.
        var run = await _app.Stores.Runs.GetAsync(runId, default);
        run.Parameters = "{\"l2_regularization\": 500}";
        await _app.Stores.Runs.UpdateAsync(run, run.ETag, null, default);
        await _flow.TrainRunAsync(runId);
        var etag = (await _app.Storage.Container(_app.Storage.Names.ModelsContainer).GetBlobClient(RunFiles.ModelBlobName(runId)).GetPropertiesAsync()).Value.ETag.ToString();

        var after = (await _flow.PredictAsync(runId, json: rows.DeepClone())).AssertStatus(200).Body;

        Assert.Equal(2, models.Loads);
        Assert.Equal((runId, etag), Assert.Single(models.Cache.Keys));
        Assert.NotEqual(before, models.Cache.Keys[0]);
        Assert.NotEqual(first, after);
    }
}

using System.Text.Json.Nodes;
using Azure.Storage.Blobs.Models;
using DashAI.Functions.Runs;
using DashAI.Functions.Storage;
using DashAI.Functions.Tests.Infrastructure;

namespace DashAI.Functions.Tests.Storage;

/// <summary>The storage layer's guarantees: spilled JSON under races and failures, bounded write retries.</summary>
public sealed class EntityStoreTests : IAsyncLifetime
{
    private readonly TestApp _app = TestApp.Create();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private EntityStore<RunEntity> Runs => _app.Stores.Runs;

    [Fact]
    public async Task TwoWritersRacingWithLargePayloadsLeaveTheWinnersContentAndNoOrphans()
    {
        var run = await CreateRunAsync(LargeParameters("original"));
        var one = await Runs.GetAsync(run.Id, default);
        var two = await Runs.GetAsync(run.Id, default);
        one.Parameters = LargeParameters("writer-one");
        two.Parameters = LargeParameters("writer-two");

        var results = await Task.WhenAll(TryUpdate(one), TryUpdate(two));

        var winner = Assert.Single(results, r => r is not null);
        Assert.Single(results, r => r is null);
        var stored = await Runs.GetAsync(run.Id, default);
        Assert.Equal(winner!.Parameters, stored.Parameters);
        Assert.Equal([stored.Spills["Parameters"].BlobName], await SpillBlobsAsync(run.Id));
    }

    [Fact]
    public async Task AStaleWriteKeepsTheStoredContentAndDeletesItsOwnUpload()
    {
        var original = LargeParameters("original");
        var run = await CreateRunAsync(original);
        var reader = await Runs.GetAsync(run.Id, default);
        var before = await SpillBlobsAsync(run.Id);
        await Runs.ChangeAsync(run.Id, r => { r.Name = "renamed"; return true; }, default);
        reader.Parameters = LargeParameters("late");

        await Assert.ThrowsAsync<StaleEntityException>(() => Runs.UpdateAsync(reader, reader.ETag, null, default));

        var stored = await Runs.GetAsync(run.Id, default);
        Assert.Equal(original, stored.Parameters);
        Assert.Equal("renamed", stored.Name);
        Assert.Equal(before, await SpillBlobsAsync(run.Id));
    }

    [Fact]
    public async Task AWriteThatLeavesLargeJsonUnchangedUploadsNothingAndANewValueReplacesTheOldBlob()
    {
        var run = await CreateRunAsync(LargeParameters("original"));
        var first = await SpillBlobsAsync(run.Id);
        var etag = (await BlobAsync(first.Single())).ETag;

        // A heartbeat-like write: only a small property changes.
        await Runs.ChangeAsync(run.Id, r => { r.Stage = "training"; return true; }, default);
        Assert.Equal(first, await SpillBlobsAsync(run.Id));
        Assert.Equal(etag, (await BlobAsync(first.Single())).ETag);

        await Runs.ChangeAsync(run.Id, r => { r.Parameters = LargeParameters("changed"); return true; }, default);
        var second = await SpillBlobsAsync(run.Id);
        Assert.Single(second);
        Assert.NotEqual(first, second);
        Assert.Equal(LargeParameters("changed"), (await Runs.GetAsync(run.Id, default)).Parameters);
    }

    [Fact]
    public async Task DeletingAnObjectDeletesItsSpilledJson()
    {
        var run = await CreateRunAsync(LargeParameters("original"));
        Assert.NotEmpty(await SpillBlobsAsync(run.Id));

        var stored = await Runs.GetAsync(run.Id, default);
        await Runs.DeleteAsync(stored, stored.ETag, default);

        Assert.Empty(await SpillBlobsAsync(run.Id));
    }

    [Fact]
    public async Task TwentyConcurrentCreatesAllSucceedWithDistinctIds()
    {
        var experiment = await Seed.Experiment(_app);

        var runs = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Seed.Run(_app, experiment.Id)));

        Assert.Equal(20, runs.Select(r => r.Id).Distinct().Count());
    }

    [Fact]
    public async Task AChangeThatLosesEveryRaceGivesUpAfterTheBoundedAttempts()
    {
        var run = await CreateRunAsync("{}");
        var attempts = 0;

        // Every attempt is overtaken by another writer between its read and its conditional write.
        var error = await Assert.ThrowsAsync<StorageContentionException>(() => Runs.ChangeAsync(
            run.Id,
            r =>
            {
                attempts++;
                Runs.ChangeAsync(run.Id, other => { other.Description = $"rival {attempts}"; return true; }, default).GetAwaiter().GetResult();
                r.Name = "mine";
                return true;
            },
            default));

        Assert.Equal(EntityStore<RunEntity>.MaxWriteAttempts, attempts);
        Assert.Contains("retry shortly", error.Message, StringComparison.Ordinal);
        Assert.Equal("big", (await Runs.GetAsync(run.Id, default)).Name);
    }

    [Fact]
    public async Task ContentionBeyondTheRetryBudgetIsA503WithRetryAfter()
    {
        var response = await _app.Invoke(_app.Request("GET"), (_, _) => throw new StorageContentionException("too hot", retryAfterSeconds: 3));

        response.AssertProblem(503, "too hot");
        Assert.Equal("3", response.Headers.RetryAfter.ToString());
    }

    private async Task<RunEntity?> TryUpdate(RunEntity run)
    {
        try
        {
            return await Runs.UpdateAsync(run, run.ETag, null, default);
        }
        catch (StaleEntityException)
        {
            return null;
        }
    }

    private async Task<RunEntity> CreateRunAsync(string parameters)
    {
        var experiment = await Seed.Experiment(_app);
        return await Runs.CreateAsync(
            new RunEntity { ExperimentId = experiment.Id, ModelName = "LogisticRegression", Name = "big", Parameters = parameters }, default);
    }

    private async Task<List<string>> SpillBlobsAsync(long runId)
    {
        var names = new List<string>();
        await foreach (var blob in _app.Storage.Container(_app.Storage.Names.ArtifactsContainer).GetBlobsAsync(BlobTraits.None, BlobStates.None, $"entities/run/{runId}/", default))
        {
            names.Add(blob.Name);
        }

        return names;
    }

    private async Task<BlobProperties> BlobAsync(string name) =>
        (await _app.Storage.Container(_app.Storage.Names.ArtifactsContainer).GetBlobClient(name).GetPropertiesAsync()).Value;

    private static string LargeParameters(string marker)
    {
        var json = new JsonObject { ["marker"] = marker };
        for (var i = 0; i < 2_000; i++)
        {
            json[$"parameter_{i:D4}"] = $"{marker}-value-{i}";
        }

        return json.ToJsonString();
    }
}

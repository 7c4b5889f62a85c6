using DashAI.Functions.Predictions;

namespace DashAI.Functions.Tests.Predictions;

public sealed class ModelCacheTests
{
    private sealed record Model(long RunId, string ETag);

    private static Func<CancellationToken, Task<(Model, long)>> Loader(long runId, string etag, long size, Action? onLoad = null, Task? gate = null) =>
        async _ =>
        {
            onLoad?.Invoke();
            if (gate is not null)
            {
                await gate;
            }

            return (new Model(runId, etag), size);
        };

    [Fact]
    public async Task ConcurrentColdRequestsLoadTheModelOnce()
    {
        using var cache = new ModelCache<Model>(1_000);
        var loads = 0;
        var release = new TaskCompletionSource();

        var requests = Enumerable.Range(0, 16)
            .Select(_ => cache.GetOrLoadAsync(1, "e1", Loader(1, "e1", 10, () => Interlocked.Increment(ref loads), release.Task), default))
            .ToList();
        release.SetResult();
        var models = await Task.WhenAll(requests);

        Assert.Equal(1, loads);
        Assert.All(models, m => Assert.Same(models[0], m));
    }

    [Fact]
    public async Task ANewETagServesTheNewModelAndDropsTheOld()
    {
        using var cache = new ModelCache<Model>(1_000);

        var old = await cache.GetOrLoadAsync(1, "e1", Loader(1, "e1", 10), default);
        var retrained = await cache.GetOrLoadAsync(1, "e2", Loader(1, "e2", 10), default);

        Assert.Equal("e1", old.ETag);
        Assert.Equal("e2", retrained.ETag);
        Assert.Equal([(1L, "e2")], cache.Keys);
        Assert.Equal(10, cache.SizeBytes);
    }

    [Fact]
    public async Task BeyondItsCapacityTheLeastRecentlyUsedModelGoesFirst()
    {
        using var cache = new ModelCache<Model>(100);
        await cache.GetOrLoadAsync(1, "a", Loader(1, "a", 40), default);
        await cache.GetOrLoadAsync(2, "b", Loader(2, "b", 40), default);
        await cache.GetOrLoadAsync(1, "a", Loader(1, "a", 40), default); // 1 is now the most recent

        await cache.GetOrLoadAsync(3, "c", Loader(3, "c", 40), default);

        Assert.Equal([(3L, "c"), (1L, "a")], cache.Keys);
        Assert.Equal(80, cache.SizeBytes);
        var loads = 0;
        await cache.GetOrLoadAsync(2, "b", Loader(2, "b", 40, () => loads++), default);
        Assert.Equal(1, loads);
    }

    [Fact]
    public async Task AModelLargerThanTheCapacityIsServedButEvictsTheOthers()
    {
        using var cache = new ModelCache<Model>(100);
        await cache.GetOrLoadAsync(1, "a", Loader(1, "a", 40), default);

        var big = await cache.GetOrLoadAsync(2, "b", Loader(2, "b", 500), default);

        Assert.Equal(2, big.RunId);
        Assert.Equal([(2L, "b")], cache.Keys);
    }

    [Fact]
    public async Task AFailedLoadIsNotKeptAndTheNextRequestTriesAgain()
    {
        using var cache = new ModelCache<Model>(100);

        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            cache.GetOrLoadAsync(1, "a", _ => Task.FromException<(Model, long)>(new InvalidOperationException("corrupt zip")), default));
        var model = await cache.GetOrLoadAsync(1, "a", Loader(1, "a", 10), default);

        Assert.Equal(1, model.RunId);
        Assert.Equal([(1L, "a")], cache.Keys);
    }

    [Fact]
    public async Task ACallerThatGivesUpDoesNotFailTheOthersWaitingForTheSameModel()
    {
        using var cache = new ModelCache<Model>(100);
        var release = new TaskCompletionSource();
        using var impatient = new CancellationTokenSource();

        var first = cache.GetOrLoadAsync(1, "a", Loader(1, "a", 10, gate: release.Task), impatient.Token);
        var second = cache.GetOrLoadAsync(1, "a", Loader(1, "a", 10), default);
        await impatient.CancelAsync();
        release.SetResult();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        Assert.Equal(1, (await second).RunId);
    }
}

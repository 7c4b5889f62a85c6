using Azure.Storage.Blobs;
using DashAI.Functions.Runs;
using DashAI.Functions.Tests.Infrastructure;

namespace DashAI.Functions.Tests.Runs;

public sealed class RunFilesTests : IAsyncLifetime
{
    private readonly TestApp _app = TestApp.Create();
    private RunFiles _files = null!;

    public async Task InitializeAsync()
    {
        _files = _app.Function<RunFiles>();
        await _app.Storage.EnsureReadyAsync(default);
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private BlobContainerClient Models => _app.Storage.Container(_app.Storage.Names.ModelsContainer);

    private BlobContainerClient Artifacts => _app.Storage.Container(_app.Storage.Names.ArtifactsContainer);

    [Fact]
    public async Task DeletingCapturedFilesKeepsAFileRewrittenSinceTheCapture()
    {
        await Models.UploadBlobAsync(RunFiles.ModelBlobName(7), BinaryData.FromString("old model"));
        await Artifacts.UploadBlobAsync("7/artifacts.json", BinaryData.FromString("{}"));
        await Artifacts.UploadBlobAsync("7/parameters.json", BinaryData.FromString("{\"old\":1}"));
        await Models.UploadBlobAsync(RunFiles.ModelBlobName(70), BinaryData.FromString("another run"));

        var captured = await _files.CaptureAsync(7, default);
        await Models.GetBlobClient(RunFiles.ModelBlobName(7)).UploadAsync(BinaryData.FromString("new model"), overwrite: true);
        await Artifacts.GetBlobClient("7/parameters.json").UploadAsync(BinaryData.FromString("{\"new\":1}"), overwrite: true);
        await _files.DeleteCapturedAsync(captured, default);

        Assert.Equal(3, captured.Blobs.Count);
        Assert.Equal("new model", (await Models.GetBlobClient(RunFiles.ModelBlobName(7)).DownloadContentAsync()).Value.Content.ToString());
        Assert.Equal("{\"new\":1}", (await Artifacts.GetBlobClient("7/parameters.json").DownloadContentAsync()).Value.Content.ToString());
        Assert.False((await Artifacts.GetBlobClient("7/artifacts.json").ExistsAsync()).Value);
        Assert.True((await Models.GetBlobClient(RunFiles.ModelBlobName(70)).ExistsAsync()).Value);
    }

    [Fact]
    public async Task DeletingCapturedFilesTwiceIsHarmless()
    {
        await Models.UploadBlobAsync(RunFiles.ModelBlobName(8), BinaryData.FromString("model"));
        await Artifacts.UploadBlobAsync("8/plots/roc.json", BinaryData.FromString("[]"));

        var captured = await _files.CaptureAsync(8, default);
        await _files.DeleteCapturedAsync(captured, default);
        await _files.DeleteCapturedAsync(captured, default);

        Assert.False((await Models.GetBlobClient(RunFiles.ModelBlobName(8)).ExistsAsync()).Value);
        Assert.False((await Artifacts.GetBlobClient("8/plots/roc.json").ExistsAsync()).Value);
    }

    [Fact]
    public async Task ARunWithoutFilesCapturesNothing()
    {
        await Models.UploadBlobAsync(RunFiles.ModelBlobName(90), BinaryData.FromString("run 90, not 9"));

        var captured = await _files.CaptureAsync(9, default);

        Assert.Empty(captured.Blobs);
    }
}

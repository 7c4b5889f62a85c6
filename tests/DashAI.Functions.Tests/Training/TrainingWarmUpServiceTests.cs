using DashAI.Functions.Training;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace DashAI.Functions.Tests.Training;

public sealed class TrainingWarmUpServiceTests
{
    [Fact]
    public async Task AtStartTheWorkerTrainsEveryTabularModelInItsWorkFolderAndCleansUp()
    {
        var root = Directory.CreateTempSubdirectory("dashai-warm-up-service-").FullName;
        try
        {
            using var service = new TrainingWarmUpService(Options.Create(new TrainingOptions { WorkDirectory = root }), NullLogger<TrainingWarmUpService>.Instance);

            await service.StartAsync(CancellationToken.None);
            await service.ExecuteTask!;

            Assert.Equal(12, service.Trained.Count);
            Assert.Contains("RidgeRegressor", service.Trained);
            Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(root, "dashai-work")));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task TurnedOffItTrainsNothing()
    {
        using var service = new TrainingWarmUpService(Options.Create(new TrainingOptions { WarmUp = false }), NullLogger<TrainingWarmUpService>.Instance);

        await service.StartAsync(CancellationToken.None);
        await service.ExecuteTask!;

        Assert.Empty(service.Trained);
    }

    [Fact]
    public async Task AWorkFolderItCannotCreateIsLoggedNotThrown()
    {
        var root = Directory.CreateTempSubdirectory("dashai-warm-up-service-").FullName;
        try
        {
            // A file where the work folder should be: the warm-up cannot start, and the worker carries on.
            File.WriteAllText(Path.Combine(root, "dashai-work"), "not a folder");
            using var service = new TrainingWarmUpService(Options.Create(new TrainingOptions { WorkDirectory = root }), NullLogger<TrainingWarmUpService>.Instance);

            await service.StartAsync(CancellationToken.None);
            await service.ExecuteTask!;

            Assert.Empty(service.Trained);
            Assert.True(service.ExecuteTask.IsCompletedSuccessfully);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}

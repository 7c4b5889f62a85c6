using DashAI.ML.Models;
using DashAI.ML.Training;

namespace DashAI.ML.Tests.Training;

public class TrainingWarmUpTests
{
    [Fact]
    public void EveryTabularModelTrainsOnTheMadeUpSetWithItsDefaults()
    {
        var directory = Directory.CreateTempSubdirectory("dashai-warm-up-").FullName;
        try
        {
            var trained = TrainingWarmUp.Run(directory, null, CancellationToken.None);

            var tabular = ModelCatalog.All.Where(m => m.Fits("TabularClassificationTask") || m.Fits("RegressionTask")).Select(m => m.Name);
            Assert.Equal(tabular.Order(), trained.Order());
            Assert.Contains("RidgeRegressor", trained);
            Assert.Contains("LightGbmClassifier", trained);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void OnlyTheNamedModelsTrainAndACancelStopsIt()
    {
        var directory = Directory.CreateTempSubdirectory("dashai-warm-up-").FullName;
        try
        {
            Assert.Equal(["LogisticRegression", "RidgeRegressor"], TrainingWarmUp.Run(directory, ["RidgeRegressor", "LogisticRegression"], CancellationToken.None).Order());
            Assert.ThrowsAny<OperationCanceledException>(() => TrainingWarmUp.Run(directory, null, new CancellationToken(canceled: true)));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}

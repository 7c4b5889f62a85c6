using DashAI.ML.Components;

namespace DashAI.ML.Tests;

public class RegistryTests
{
    private static readonly string[] ClassificationModels =
        ["LightGbmClassifier", "FastTreeClassifier", "FastForestClassifier", "LogisticRegression", "SdcaMaximumEntropy", "LinearSvm"];

    private static readonly string[] RegressionModels =
        ["LightGbmRegressor", "FastTreeRegressor", "FastForestRegressor", "RidgeRegressor", "SdcaRegressor", "OnlineGradientDescentRegressor"];

    [Fact]
    public void ListWithoutFiltersReturnsEveryComponentType()
    {
        var all = ComponentRegistry.List();

        Assert.Equal(3, all.Count(c => c.Type == ComponentType.Task));
        Assert.Equal(12, all.Count(c => c.Type == ComponentType.Model));
        Assert.Equal(12, all.Count(c => c.Type == ComponentType.Metric));
        Assert.Equal(["CSVDataLoader", "JSONDataLoader"], all.Where(c => c.Type == ComponentType.DataLoader).Select(c => c.Name));
        Assert.Equal(all.Count, all.Select(c => c.Name).Distinct().Count());
    }

    [Fact]
    public void ModelsRelatedToTabularClassificationAreTheClassificationModels()
    {
        var models = ComponentRegistry.List(["Model"], "TabularClassificationTask");

        Assert.Equal(ClassificationModels, models.Select(m => m.Name));
    }

    [Fact]
    public void TextClassificationUsesTheClassificationModels()
    {
        var models = ComponentRegistry.List(["Model"], "TextClassificationTask");

        Assert.Equal(ClassificationModels, models.Select(m => m.Name));
    }

    [Fact]
    public void ModelsListedForATaskShowThatTasksDefaults()
    {
        static double L2(string task) => ComponentRegistry.List(["Model"], task).Single(m => m.Name == "SdcaMaximumEntropy")
            .ParameterSchema["properties"]!["l2_regularization"]!["default"]!.GetValue<double>();

        Assert.Equal(1e-4, L2("TextClassificationTask"));
        Assert.Equal(0.01, L2("TabularClassificationTask"));
        Assert.Equal(0.01, ComponentRegistry.Find("SdcaMaximumEntropy")!.ParameterSchema["properties"]!["l2_regularization"]!["default"]!.GetValue<double>());
    }

    [Fact]
    public void ModelsRelatedToRegressionAreTheRegressionModels()
    {
        var models = ComponentRegistry.List(["Model"], "RegressionTask");

        Assert.Equal(RegressionModels, models.Select(m => m.Name));
    }

    [Fact]
    public void MetricsOfRegressionAreRmseMaeMseAndR2WithDirections()
    {
        var metrics = ComponentRegistry.List(["Metric"], "RegressionTask");

        Assert.Equal(["rmse", "mae", "mse", "r2"], metrics.Select(m => m.Name));
        Assert.Equal(["lower", "lower", "lower", "higher"], metrics.Select(m => m.Direction));
    }

    [Fact]
    public void MetricsOfClassificationIncludeRocAucAndLogLoss()
    {
        var metrics = ComponentRegistry.List(["Metric"], "TabularClassificationTask").ToDictionary(m => m.Name);

        Assert.Equal(
            ["accuracy", "balanced_accuracy", "precision_macro", "recall_macro", "f1_macro", "f1_weighted", "log_loss", "roc_auc"],
            metrics.Keys);
        Assert.Equal("lower", metrics["log_loss"].Direction);
        Assert.Equal("higher", metrics["f1_macro"].Direction);
    }

    [Fact]
    public void SeveralTypesCanBeSelectedAtOnce()
    {
        var components = ComponentRegistry.List(["Model", " Metric"], "RegressionTask");

        Assert.Equal(RegressionModels.Concat(["rmse", "mae", "mse", "r2"]), components.Select(c => c.Name));
    }

    [Fact]
    public void TasksRelatedToAModelAreTheTasksItFits()
    {
        var tasks = ComponentRegistry.List(["Task"], "LinearSvm");

        Assert.Equal(["TabularClassificationTask", "TextClassificationTask"], tasks.Select(t => t.Name));
    }

    [Fact]
    public void UnknownTypeIsInvalidInput()
    {
        var error = Assert.Throws<InvalidInputException>(() => ComponentRegistry.List(["Model", "Widget", "model"]));

        Assert.Equal(2, error.Errors.Count);
        Assert.Contains("'Widget'", error.Errors[0], StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownRelatedComponentIsInvalidInput()
    {
        Assert.Throws<InvalidInputException>(() => ComponentRegistry.List(["Model"], "NoSuchTask"));
    }

    [Fact]
    public void FindReturnsAModelWithItsSchemaAndTasks()
    {
        var model = ComponentRegistry.Find("LightGbmRegressor");

        Assert.NotNull(model);
        Assert.Equal(ComponentType.Model, model.Type);
        Assert.Equal(["RegressionTask"], model.CompatibleTasks);
        Assert.NotNull(model.ParameterSchema["properties"]?["number_of_iterations"]);
        Assert.False(string.IsNullOrWhiteSpace(model.Description));
    }

    [Fact]
    public void FindReturnsNullForAnUnknownName()
    {
        Assert.Null(ComponentRegistry.Find("NoSuchModel"));
    }

    [Fact]
    public void ChangingAReturnedSchemaDoesNotChangeTheRegistry()
    {
        ComponentRegistry.Find("LinearSvm")!.ParameterSchema["properties"]!.AsObject().Remove("lambda");

        Assert.NotNull(ComponentRegistry.Find("LinearSvm")!.ParameterSchema["properties"]!["lambda"]);
    }
}

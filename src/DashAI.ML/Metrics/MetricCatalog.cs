using DashAI.ML.Tasks;

namespace DashAI.ML.Metrics;

/// <summary>A metric reported on every split of a run.</summary>
public sealed record MetricDefinition(string Name, string Description, bool HigherIsBetter, TaskKind Kind, bool BinaryOnly = false)
{
    /// <summary>"higher" or "lower": which way is better.</summary>
    public string Direction => HigherIsBetter ? "higher" : "lower";

    public IReadOnlyList<string> CompatibleTasks =>
        [.. TaskCatalog.All.Where(t => t.Kind == Kind).Select(t => t.Name)];
}

/// <summary>The metrics DashAI computes, with the same definitions as scikit-learn's.</summary>
public static class MetricCatalog
{
    public static IReadOnlyList<MetricDefinition> All { get; } =
    [
        new("accuracy", "Fraction of rows whose predicted class is right.", true, TaskKind.Classification),
        new("balanced_accuracy", "Mean recall over the classes present in the split (robust to imbalance).", true, TaskKind.Classification),
        new("precision_macro", "Unweighted mean over classes of precision.", true, TaskKind.Classification),
        new("recall_macro", "Unweighted mean over classes of recall.", true, TaskKind.Classification),
        new("f1_macro", "Unweighted mean over classes of F1.", true, TaskKind.Classification),
        new("f1_weighted", "Mean over classes of F1 weighted by class support.", true, TaskKind.Classification),
        new("log_loss", "Mean negative log-probability of the true class (probabilities clipped at 1e-15).", false, TaskKind.Classification),
        new("roc_auc", "Area under the ROC curve of the second class (sorted label order); two-class data only.", true, TaskKind.Classification, BinaryOnly: true),
        new("rmse", "Root mean squared error.", false, TaskKind.Regression),
        new("mae", "Mean absolute error.", false, TaskKind.Regression),
        new("mse", "Mean squared error.", false, TaskKind.Regression),
        new("r2", "Coefficient of determination (1 is perfect, 0 is predicting the mean).", true, TaskKind.Regression),
    ];

    /// <summary>The metric with this exact name, or null.</summary>
    public static MetricDefinition? Find(string name) => All.FirstOrDefault(m => m.Name == name);

    public static IEnumerable<MetricDefinition> For(TaskKind kind) => All.Where(m => m.Kind == kind);
}

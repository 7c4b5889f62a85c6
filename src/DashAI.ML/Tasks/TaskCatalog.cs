namespace DashAI.ML.Tasks;

/// <summary>The tasks DashAI supports.</summary>
public static class TaskCatalog
{
    public static IReadOnlyList<MLTask> All { get; } =
        [new TabularClassificationTask(), new RegressionTask(), new TextClassificationTask()];

    /// <summary>The task with this exact name, or null.</summary>
    public static MLTask? Find(string name) => All.FirstOrDefault(t => t.Name == name);
}

using DashAI.Functions.Datasets;

namespace DashAI.Functions.Experiments;

/// <summary>Checks that a task can work on a dataset (filled in by the ML registry).</summary>
public static class ExperimentRules
{
    public static void CheckTaskFitsDataset(string taskName, DatasetEntity dataset)
    {
        ArgumentNullException.ThrowIfNull(taskName);
        ArgumentNullException.ThrowIfNull(dataset);
    }
}

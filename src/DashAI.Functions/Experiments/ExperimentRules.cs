using DashAI.Functions.Datasets;
using DashAI.ML;
using DashAI.ML.Components;
using DashAI.ML.Data;
using DashAI.ML.Tasks;

namespace DashAI.Functions.Experiments;

/// <summary>Checks, against the ML registry, that a task exists and can work on a dataset.</summary>
public static class ExperimentRules
{
    public static void CheckTaskExists(string taskName)
    {
        if (TaskCatalog.Find(taskName) is null)
        {
            throw new InvalidInputException(
                $"Unknown task '{taskName}'; known tasks: {string.Join(", ", TaskCatalog.All.Select(t => t.Name))}.");
        }
    }

    /// <summary>The task must exist and fit the dataset's output column (400 listing every problem otherwise).</summary>
    public static void CheckTaskFitsDataset(string taskName, DatasetEntity dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (DatasetSchemaJson.FromEntity(dataset) is { } schema)
        {
            CheckTaskFitsSchema(taskName, schema);
        }
        else
        {
            CheckTaskExists(taskName);
        }
    }

    public static void CheckTaskFitsSchema(string taskName, DatasetSchema schema) =>
        ComponentRegistry.ValidateExperiment(taskName, schema);
}

using System.Text.Json.Nodes;
using DashAI.ML.Data;
using DashAI.ML.Explainers;
using DashAI.ML.Metrics;
using DashAI.ML.Models;
using DashAI.ML.Optimization;
using DashAI.ML.Parameters;
using DashAI.ML.Tasks;

namespace DashAI.ML.Components;

/// <summary>The kinds of component the registry lists (names as the API spells them).</summary>
public enum ComponentType
{
    Task,
    Model,
    Metric,
    DataLoader,
    Explainer,
    Optimizer,
}

/// <summary>
/// A component as the API shows it. <see cref="CompatibleTasks"/> lists the tasks a model or
/// metric fits (empty for tasks and dataloaders); <see cref="Direction"/> is "higher" or "lower"
/// for metrics and null otherwise.
/// </summary>
public sealed record ComponentInfo(
    string Name,
    ComponentType Type,
    string Description,
    JsonObject ParameterSchema,
    IReadOnlyList<string> CompatibleTasks,
    string? Direction = null);

/// <summary>Lists, finds and validates against the components DashAI knows.</summary>
public static class ComponentRegistry
{
    /// <summary>Every component, tasks first, then models, metrics, dataloaders, explainers and optimizers, in catalog order.</summary>
    public static IReadOnlyList<ComponentInfo> All() =>
    [
        .. TaskCatalog.All.Select(t => new ComponentInfo(t.Name, ComponentType.Task, t.Description, ParameterSchema.Empty(), [])),
        .. ModelCatalog.All.Select(m => new ComponentInfo(m.Name, ComponentType.Model, m.Description, m.ParameterSchema, m.CompatibleTasks)),
        .. MetricCatalog.All.Select(m => new ComponentInfo(m.Name, ComponentType.Metric, m.Description, ParameterSchema.Empty(), m.CompatibleTasks, m.Direction)),
        .. DataLoaderCatalog.All.Select(d => new ComponentInfo(d.Name, ComponentType.DataLoader, d.Description, (JsonObject)d.ParameterSchema.DeepClone(), [])),
        .. ExplainerCatalog.All.Select(e => new ComponentInfo(e.Name, ComponentType.Explainer, e.Description, e.ParameterSchema, e.CompatibleTasks)),
        // An optimizer's schema is that of a run's "optimizer" object; it fits every task, so it lists no tasks.
        .. OptimizerCatalog.All.Select(o => new ComponentInfo(o.Name, ComponentType.Optimizer, o.Description, o.ParameterSchema, [])),
    ];

    /// <summary>The component with this exact name, or null (the API answers 404).</summary>
    public static ComponentInfo? Find(string name) => All().FirstOrDefault(c => c.Name == name);

    /// <summary>
    /// Components of the given types (all when none given) related to <paramref name="relatedComponent"/>
    /// when given: the models and metrics of a task (models with that task's defaults), the tasks of a model or metric.
    /// Type names are case-sensitive ("Task", "Model", "Metric", "DataLoader", "Explainer", "Optimizer"); an unknown type or
    /// related component throws <see cref="InvalidInputException"/>.
    /// </summary>
    public static IReadOnlyList<ComponentInfo> List(IEnumerable<string>? types = null, string? relatedComponent = null)
    {
        var errors = new List<string>();
        var wanted = new HashSet<ComponentType>();
        foreach (var type in (types ?? []).Select(t => t.Trim()).Where(t => t.Length > 0))
        {
            if (Enum.TryParse<ComponentType>(type, ignoreCase: false, out var parsed) && Enum.IsDefined(parsed) && !int.TryParse(type, out _))
            {
                wanted.Add(parsed);
            }
            else
            {
                errors.Add($"Unknown component type '{type}'; known types: {string.Join(", ", Enum.GetNames<ComponentType>())}.");
            }
        }

        var all = All();
        ComponentInfo? related = null;
        if (!string.IsNullOrEmpty(relatedComponent))
        {
            related = all.FirstOrDefault(c => c.Name == relatedComponent);
            if (related is null)
            {
                errors.Add($"Unknown related component '{relatedComponent}'.");
            }
        }

        if (errors.Count > 0)
        {
            throw new InvalidInputException(errors);
        }

        return
        [
            .. all.Where(c => wanted.Count == 0 || wanted.Contains(c.Type))
                .Where(c => related is null
                    || c.CompatibleTasks.Contains(related.Name, StringComparer.Ordinal)
                    || related.CompatibleTasks.Contains(c.Name, StringComparer.Ordinal))
                // Listed for a task, a model or explainer shows the defaults a run of that task gets.
                .Select(c => related?.Type == ComponentType.Task && c.Type == ComponentType.Model
                    ? c with { ParameterSchema = ModelCatalog.Find(c.Name)!.ParameterSchemaFor(related.Name) }
                    : related?.Type == ComponentType.Task && c.Type == ComponentType.Explainer
                        ? c with { ParameterSchema = ExplainerCatalog.Find(c.Name)!.ParameterSchemaFor(related.Name) }
                        : c),
        ];
    }

    /// <summary>
    /// Validates run parameters for a model on a task and returns the full parameter object, every
    /// missing parameter filled with its default for that task (store this: it is exactly what training uses).
    /// Throws one <see cref="InvalidInputException"/> listing every problem: unknown task or model,
    /// a model that does not fit the task, unknown keys, wrong types, out-of-range or non-enum values.
    /// </summary>
    public static JsonObject ValidateAndFillDefaults(string modelName, string taskName, JsonObject? parameters)
    {
        var errors = new List<string>();
        var task = TaskCatalog.Find(taskName);
        if (task is null)
        {
            errors.Add($"Unknown task '{taskName}'; known tasks: {string.Join(", ", TaskCatalog.All.Select(t => t.Name))}.");
        }

        var model = ModelCatalog.Find(modelName);
        if (model is null)
        {
            var known = task is null ? ModelCatalog.All : ModelCatalog.All.Where(m => m.Fits(task.Name));
            errors.Add($"Unknown model '{modelName}'; known models{(task is null ? "" : $" for {task.Name}")}: {string.Join(", ", known.Select(m => m.Name))}.");
            throw new InvalidInputException(errors);
        }

        if (task is not null && !model.Fits(task.Name))
        {
            errors.Add($"Model '{model.Name}' does not fit task '{task.Name}'; it fits {string.Join(", ", model.CompatibleTasks)}.");
        }

        var schema = task is null ? model.ParameterSchema : model.ParameterSchemaFor(task.Name);
        var (filled, parameterErrors) = ParameterValidator.Validate(schema, parameters, $"model '{model.Name}'");
        errors.AddRange(parameterErrors);
        if (errors.Count > 0)
        {
            throw new InvalidInputException(errors);
        }

        return filled;
    }

    /// <summary>
    /// Validates an experiment: the task exists and the dataset fits it (POST /experiment).
    /// Returns the task; throws <see cref="InvalidInputException"/> listing every problem.
    /// </summary>
    public static MLTask ValidateExperiment(string taskName, DatasetSchema schema)
    {
        var task = TaskCatalog.Find(taskName)
            ?? throw new InvalidInputException($"Unknown task '{taskName}'; known tasks: {string.Join(", ", TaskCatalog.All.Select(t => t.Name))}.");
        task.ValidateDataset(schema);
        return task;
    }
}

using System.Text.Json.Nodes;
using DashAI.ML.Components;
using DashAI.ML.Models;
using DashAI.ML.Parameters;
using DashAI.ML.Tasks;

namespace DashAI.ML.Optimization;

/// <summary>
/// A validated tuned run: the fixed parameters (every parameter of the model, given or default), the search
/// space read from the optimize specs, the specs themselves as given (what the run shows under
/// <c>search_space</c>) and the optimizer settings.
/// </summary>
public sealed record SearchPlan(JsonObject Fixed, IReadOnlyList<SearchDimension> Space, JsonObject Specs, OptimizerSettings Optimizer)
{
    /// <summary>Whether a run's parameters mark any parameter to optimize.</summary>
    public static bool HasSpecs(JsonObject? parameters) => parameters is not null && parameters.Any(p => SearchSpecs.IsSpec(p.Value));

    /// <summary>The complete parameters of a trial: the fixed values with the sampled ones in their place.</summary>
    public JsonObject TrialParameters(JsonObject sampled)
    {
        ArgumentNullException.ThrowIfNull(sampled);
        var parameters = (JsonObject)Fixed.DeepClone();
        foreach (var (name, value) in sampled)
        {
            parameters[name] = value?.DeepClone();
        }

        return parameters;
    }

    /// <summary>
    /// Validates the parameters (plain values and optimize specs) and the optimizer of a tuned run of
    /// <paramref name="modelName"/> on <paramref name="taskName"/>. Throws one <see cref="InvalidInputException"/>
    /// listing every problem, as <see cref="ComponentRegistry.ValidateAndFillDefaults"/> does for a plain run:
    /// specs against the model's schema (bounds inside the allowed range, choices allowed values), the plain
    /// values, the optimizer object, and that specs and optimizer come together.
    /// </summary>
    public static SearchPlan Validate(string modelName, string taskName, JsonObject? parameters, JsonObject? optimizer)
    {
        parameters ??= [];
        var errors = new List<string>();
        var specs = new JsonObject();
        foreach (var (name, value) in parameters.Where(p => SearchSpecs.IsSpec(p.Value)))
        {
            specs[name] = value!.DeepClone();
        }

        var task = TaskCatalog.Find(taskName);
        var model = ModelCatalog.Find(modelName);
        JsonObject? plain = null;
        IReadOnlyList<SearchDimension> space = [];
        if (task is not null && model is not null && model.Fits(task.Name))
        {
            var (plainValues, dimensions, specErrors) = SearchSpecs.Extract(model.ParameterSchemaFor(task.Name), parameters, $"model '{model.Name}'");
            errors.AddRange(specErrors);
            plain = plainValues;
            space = dimensions;
        }

        JsonObject? filled = null;
        try
        {
            filled = ComponentRegistry.ValidateAndFillDefaults(modelName, taskName, plain ?? WithoutSpecs(parameters));
        }
        catch (InvalidInputException exception)
        {
            errors.InsertRange(0, exception.Errors);
        }

        OptimizerSettings? settings = null;
        if (optimizer is null)
        {
            if (specs.Count > 0)
            {
                errors.Add($"Parameters {string.Join(", ", specs.Select(s => $"'{s.Key}'"))} are marked optimize: the run needs an 'optimizer' (name TPE or Random, n_trials, metric).");
            }
        }
        else
        {
            if (specs.Count == 0)
            {
                errors.Add("The run has an 'optimizer' but no parameter is marked optimize: give at least one parameter as {\"optimize\": true, \"lower_bound\": a, \"upper_bound\": b} or {\"optimize\": true, \"choices\": [...]}.");
            }

            settings = OptimizerCatalog.Validate(optimizer, taskName, errors);
        }

        if (errors.Count > 0)
        {
            throw new InvalidInputException(errors);
        }

        if (settings is null)
        {
            throw new InvalidInputException("The run has no optimizer and no parameter marked optimize: it is not a tuned run.");
        }

        return new SearchPlan(filled!, space, specs, settings);
    }

    private static JsonObject WithoutSpecs(JsonObject parameters)
    {
        var plain = new JsonObject();
        foreach (var (name, value) in parameters.Where(p => !SearchSpecs.IsSpec(p.Value)))
        {
            plain[name] = value?.DeepClone();
        }

        return plain;
    }
}

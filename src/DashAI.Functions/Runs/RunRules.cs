using System.Text.Json.Nodes;
using DashAI.Functions.Http;
using DashAI.ML;
using DashAI.ML.Components;
using DashAI.ML.Models;

namespace DashAI.Functions.Runs;

/// <summary>Checks a run's model and parameters against the ML registry.</summary>
public static class RunRules
{
    /// <summary>
    /// The model must exist and fit the task; parameters must match the model's schema. Returns the parameters with
    /// every default filled in, which is what gets stored: a run records exactly what it trains with.
    /// </summary>
    public static JsonObject ValidateParameters(string modelName, string taskName, JsonObject? parameters) =>
        ComponentRegistry.ValidateAndFillDefaults(modelName.Trim(), taskName, parameters);

    /// <summary>
    /// Sets a run's parameters, and for a tuned run (optimize specs among the parameters, or an optimizer) its search:
    /// the stored parameters are the fixed values (defaults filled) with the specs in their places, the specs are kept
    /// under <see cref="RunEntity.SearchSpace"/> and the optimizer with every field filled. Invalid input throws one
    /// <see cref="InvalidInputException"/> listing every problem.
    /// </summary>
    public static void ApplyParameters(RunEntity run, string taskName, JsonObject? parameters, JsonObject? optimizer)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (optimizer is null && !DashAI.ML.Optimization.SearchPlan.HasSpecs(parameters))
        {
            run.Parameters = ValidateParameters(run.ModelName, taskName, parameters).ToJsonString();
            run.Optimizer = null;
            run.SearchSpace = null;
            return;
        }

        var plan = DashAI.ML.Optimization.SearchPlan.Validate(run.ModelName.Trim(), taskName, parameters, optimizer);
        var stored = (JsonObject)plan.Fixed.DeepClone();
        foreach (var (name, spec) in plan.Specs)
        {
            stored[name] = spec?.DeepClone();
        }

        run.Parameters = stored.ToJsonString();
        run.SearchSpace = plan.Specs.ToJsonString();
        run.Optimizer = plan.Optimizer.ToJson().ToJsonString();
    }

    /// <summary>
    /// In the thesis form the body is the parameters object itself, so a misspelt request field ("paramters") lands
    /// among the parameters. A key the model does not take but that is close to a request field is reported as that
    /// field's typo; other unknown keys are left to the schema check, which lists the model's parameters.
    /// </summary>
    public static void RejectMisplacedFields(JsonObject? parameters, string modelName, IReadOnlyCollection<string> fields)
    {
        if (parameters is null)
        {
            return;
        }

        var model = ModelCatalog.Find(modelName.Trim());
        var modelParameters = model?.ParameterSchema["properties"] as JsonObject;
        foreach (var (key, _) in parameters)
        {
            if (modelParameters?.ContainsKey(key) is true)
            {
                continue;
            }

            if (fields.Contains(key))
            {
                throw new BadRequestException(
                    $"'{key}' is not a parameter of model '{modelName.Trim()}': with the fields in the query string, the body is the run's parameters only.");
            }

            if (StrictJson.DidYouMean(key, fields) is { } field)
            {
                throw new BadRequestException(
                    $"Unknown field '{key}' in the request body; did you mean '{field}'? (A body without request fields is taken as the run's parameters.)");
            }
        }
    }
}

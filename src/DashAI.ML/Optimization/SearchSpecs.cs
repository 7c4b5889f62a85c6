using System.Text.Json;
using System.Text.Json.Nodes;
using DashAI.ML.Parameters;

namespace DashAI.ML.Optimization;

/// <summary>
/// Reads the parameters of a tuned run: any parameter may be a search spec instead of a value —
/// <c>{"optimize": true, "lower_bound": a, "upper_bound": b}</c> for numbers (searched on a log scale where the
/// parameter's schema carries <see cref="LogScaleKeyword"/>) or <c>{"optimize": true, "choices": [...]}</c> — checked
/// against the model's parameter schema: bounds inside the allowed range and in order, integers for integer
/// parameters, choices valid values without repeats.
/// </summary>
public static class SearchSpecs
{
    /// <summary>The schema annotation that marks a parameter to search on a log scale (learning rates, regularization).</summary>
    public const string LogScaleKeyword = ParameterSchema.LogScaleKeyword;

    private static readonly string[] SpecKeys = ["optimize", "lower_bound", "upper_bound", "choices"];

    /// <summary>Whether a parameter value is a search spec (an object with "optimize").</summary>
    public static bool IsSpec(JsonNode? value) => value is JsonObject o && o.ContainsKey("optimize");

    /// <summary>
    /// Splits <paramref name="parameters"/> into the plain values (specs removed) and the search space; the errors
    /// name every problem (the space is only meaningful without errors).
    /// </summary>
    public static (JsonObject Plain, IReadOnlyList<SearchDimension> Space, IReadOnlyList<string> Errors) Extract(JsonObject schema, JsonObject parameters, string owner)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(parameters);
        var properties = schema["properties"] as JsonObject ?? [];
        var plain = new JsonObject();
        var space = new List<SearchDimension>();
        var errors = new List<string>();
        foreach (var (name, value) in parameters)
        {
            if (!IsSpec(value))
            {
                plain[name] = value?.DeepClone();
                continue;
            }

            if (properties[name] is not JsonObject propertySchema)
            {
                errors.Add($"Unknown parameter '{name}' for {owner}; it cannot be optimized.");
                continue;
            }

            var dimension = Read(name, (JsonObject)value!, propertySchema, errors);
            if (dimension is not null)
            {
                space.Add(dimension);
            }
        }

        return (plain, space, errors);
    }

    private static SearchDimension? Read(string name, JsonObject spec, JsonObject schema, List<string> errors)
    {
        var before = errors.Count;
        foreach (var (key, _) in spec)
        {
            if (!SpecKeys.Contains(key))
            {
                errors.Add($"Parameter '{name}': unknown search field '{key}'; a search spec has optimize with lower_bound and upper_bound, or optimize with choices.");
            }
        }

        if (spec["optimize"] is not JsonValue optimize || optimize.GetValueKind() != JsonValueKind.True)
        {
            errors.Add($"Parameter '{name}': 'optimize' must be true in a search spec (give a plain value to fix the parameter).");
        }

        var hasBounds = spec.ContainsKey("lower_bound") || spec.ContainsKey("upper_bound");
        var hasChoices = spec.ContainsKey("choices");
        if (hasBounds == hasChoices)
        {
            errors.Add($"Parameter '{name}': a search spec gives either lower_bound and upper_bound, or choices.");
            return null;
        }

        var dimension = hasChoices ? ReadChoices(name, spec["choices"], schema, errors) : ReadRange(name, spec, schema, errors);
        return errors.Count == before ? dimension : null;
    }

    private static CategoricalDimension? ReadChoices(string name, JsonNode? node, JsonObject schema, List<string> errors)
    {
        if (node is not JsonArray { Count: > 0 } array)
        {
            errors.Add($"Parameter '{name}': 'choices' must be a non-empty array of values.");
            return null;
        }

        var choices = new List<JsonNode?>();
        foreach (var choice in array)
        {
            var problem = ParameterValidator.CheckValue(name, choice, schema, out var normalized);
            if (problem is not null)
            {
                errors.Add($"Choice {choice?.ToJsonString() ?? "null"}: {problem}");
            }
            else if (choices.Any(c => JsonNode.DeepEquals(c, normalized)))
            {
                errors.Add($"Parameter '{name}': the choice {normalized?.ToJsonString() ?? "null"} is given more than once.");
            }
            else
            {
                choices.Add(normalized);
            }
        }

        return new CategoricalDimension(name, choices);
    }

    private static SearchDimension? ReadRange(string name, JsonObject spec, JsonObject schema, List<string> errors)
    {
        var types = schema["type"] switch
        {
            JsonArray a => a.Select(t => t!.GetValue<string>()).ToList(),
            JsonValue v => [v.GetValue<string>()],
            _ => [],
        };
        var isInteger = types.Contains("integer");
        if (!isInteger && !types.Contains("number"))
        {
            errors.Add($"Parameter '{name}' is not a number: search it with 'choices' instead of bounds.");
            return null;
        }

        var lower = Bound(name, "lower_bound", spec, schema, errors);
        var upper = Bound(name, "upper_bound", spec, schema, errors);
        if (lower is null || upper is null)
        {
            return null;
        }

        if (lower >= upper)
        {
            errors.Add($"Parameter '{name}': lower_bound ({lower}) must be below upper_bound ({upper}).");
            return null;
        }

        var log = schema[LogScaleKeyword] is JsonValue flag && flag.GetValueKind() == JsonValueKind.True;
        if (log && lower <= 0)
        {
            errors.Add($"Parameter '{name}' is searched on a log scale: lower_bound must be above 0, got {lower}.");
            return null;
        }

        return isInteger
            ? new IntDimension(name, (long)lower.Value, (long)upper.Value, log)
            : new FloatDimension(name, lower.Value, upper.Value, log);
    }

    private static double? Bound(string name, string field, JsonObject spec, JsonObject schema, List<string> errors)
    {
        if (!spec.TryGetPropertyValue(field, out var node) || node is null)
        {
            errors.Add($"Parameter '{name}': '{field}' is required with a range.");
            return null;
        }

        // The bound must itself be an allowed value of the parameter (its type and range); null is no bound.
        var problem = ParameterValidator.CheckValue(name, node, schema, out var normalized);
        if (problem is not null || normalized is null)
        {
            errors.Add($"{field}: {problem ?? $"Parameter '{name}' needs a number, got null."}");
            return null;
        }

        return ReadDouble(normalized);
    }

    private static double ReadDouble(JsonNode value) =>
        double.Parse(value.ToJsonString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture);
}

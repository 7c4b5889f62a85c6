using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DashAI.ML.Parameters;

/// <summary>
/// Validates a parameter object against the subset of JSON Schema that <see cref="ParameterSchema"/>
/// emits (type, minimum, maximum, exclusiveMinimum, exclusiveMaximum, enum, default,
/// additionalProperties: false) and fills in defaults.
/// </summary>
public static class ParameterValidator
{
    /// <summary>
    /// Returns the complete parameter object (every property of the schema, given or default) and
    /// the problems found; the object is only meaningful when there are no problems.
    /// </summary>
    public static (JsonObject Filled, IReadOnlyList<string> Errors) Validate(JsonObject schema, JsonObject? parameters, string owner)
    {
        ArgumentNullException.ThrowIfNull(schema);
        var errors = new List<string>();
        var filled = new JsonObject();
        var properties = schema["properties"] as JsonObject ?? [];
        parameters ??= [];

        foreach (var (key, _) in parameters)
        {
            if (!properties.ContainsKey(key))
            {
                var known = properties.Count == 0 ? "it takes no parameters." : "known parameters: " + string.Join(", ", properties.Select(p => p.Key)) + ".";
                var hint = StrictJson.DidYouMean(key, properties.Select(p => p.Key)) is { } suggestion ? $"did you mean '{suggestion}'? " : "";
                errors.Add($"Unknown parameter '{key}' for {owner}; {hint}{known}");
            }
        }

        if (schema["required"] is JsonArray required)
        {
            foreach (var name in required.Select(r => r!.GetValue<string>()).Where(r => !parameters.ContainsKey(r)))
            {
                errors.Add($"Parameter '{name}' is required for {owner}.");
            }
        }

        foreach (var (name, node) in properties)
        {
            var propertySchema = (JsonObject)node!;
            if (parameters.TryGetPropertyValue(name, out var value))
            {
                var problem = CheckValue(name, value, propertySchema, out var normalized);
                if (problem is not null)
                {
                    errors.Add(problem);
                }
                else
                {
                    filled[name] = normalized;
                }
            }
            else
            {
                filled[name] = propertySchema["default"]?.DeepClone();
            }
        }

        return (filled, errors);
    }

    internal static string? CheckValue(string name, JsonNode? value, JsonObject schema, out JsonNode? normalized)
    {
        normalized = null;
        var allowedTypes = schema["type"] switch
        {
            JsonArray array => array.Select(t => t!.GetValue<string>()).ToList(),
            JsonValue single => [single.GetValue<string>()],
            _ => new List<string>(),
        };
        var kind = value?.GetValueKind() ?? JsonValueKind.Null;
        string? matchedType = null;
        foreach (var type in allowedTypes)
        {
            if (Matches(type, kind, value))
            {
                matchedType = type;
                break;
            }
        }

        if (matchedType is null)
        {
            return $"Parameter '{name}' must be {string.Join(" or ", allowedTypes.Select(Article))}, got {Describe(kind, value)}.";
        }

        switch (matchedType)
        {
            case "null":
                return null;
            case "integer":
            case "number":
                var number = ReadNumber(value!);
                var range = CheckRange(name, number, schema);
                if (range is not null)
                {
                    return range;
                }

                normalized = matchedType == "integer" ? JsonValue.Create((long)number) : JsonValue.Create(number);
                return null;
            case "string":
                var text = value!.GetValue<string>();
                if (schema["enum"] is JsonArray allowed && !allowed.Any(a => a?.GetValue<string>() == text))
                {
                    return $"Parameter '{name}' must be one of {string.Join(", ", allowed.Select(a => $"'{a}'"))}, got '{text}'.";
                }

                normalized = JsonValue.Create(text);
                return null;
            case "array":
                return CheckArray(name, value!.AsArray(), schema, out normalized);
            case "object":
                return CheckObject(name, value!.AsObject(), schema, out normalized);
            default:
                normalized = value!.DeepClone();
                return null;
        }
    }

    private static string? CheckArray(string name, JsonArray items, JsonObject schema, out JsonNode? normalized)
    {
        normalized = null;
        if (schema["minItems"] is JsonValue min && items.Count < ReadNumber(min))
        {
            return $"Parameter '{name}' must hold at least {min.ToJsonString()} item(s), got {items.Count}.";
        }

        if (schema["maxItems"] is JsonValue max && items.Count > ReadNumber(max))
        {
            return $"Parameter '{name}' must hold at most {max.ToJsonString()} item(s), got {items.Count}.";
        }

        var result = new JsonArray();
        for (var i = 0; i < items.Count; i++)
        {
            JsonNode? item;
            if (schema["items"] is JsonObject itemSchema)
            {
                var problem = CheckValue($"{name}[{i}]", items[i], itemSchema, out item);
                if (problem is not null)
                {
                    return problem;
                }
            }
            else
            {
                item = items[i]?.DeepClone();
            }

            result.Add(item);
        }

        if (schema["uniqueItems"] is JsonValue unique && unique.GetValueKind() == JsonValueKind.True)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var item in result)
            {
                var text = item?.ToJsonString() ?? "null";
                if (!seen.Add(text))
                {
                    return $"Parameter '{name}' must not repeat an item; {text} is given twice.";
                }
            }
        }

        normalized = result;
        return null;
    }

    private static string? CheckObject(string name, JsonObject values, JsonObject schema, out JsonNode? normalized)
    {
        normalized = null;
        var result = new JsonObject();
        foreach (var (key, value) in values)
        {
            JsonNode? checkedValue;
            if (schema["additionalProperties"] is JsonObject valueSchema)
            {
                var problem = CheckValue($"{name}.{key}", value, valueSchema, out checkedValue);
                if (problem is not null)
                {
                    return problem;
                }
            }
            else
            {
                checkedValue = value?.DeepClone();
            }

            result[key] = checkedValue;
        }

        normalized = result;
        return null;
    }

    private static bool Matches(string type, JsonValueKind kind, JsonNode? value) => type switch
    {
        "null" => kind == JsonValueKind.Null,
        "boolean" => kind is JsonValueKind.True or JsonValueKind.False,
        "string" => kind == JsonValueKind.String,
        "number" => kind == JsonValueKind.Number && double.IsFinite(ReadNumber(value!)),
        "integer" => kind == JsonValueKind.Number && IsInteger(ReadNumber(value!)),
        "array" => kind == JsonValueKind.Array,
        "object" => kind == JsonValueKind.Object,
        _ => false,
    };

    private static bool IsInteger(double number) =>
        double.IsFinite(number) && Math.Floor(number) == number && Math.Abs(number) <= 9_007_199_254_740_992d;

    // Parsing the JSON text works whatever CLR type backs the node (JsonElement, int, double...).
    private static double ReadNumber(JsonNode value) =>
        double.Parse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture);

    private static string? CheckRange(string name, double number, JsonObject schema)
    {
        if (schema["minimum"] is JsonValue min && number < ReadNumber(min))
        {
            return $"Parameter '{name}' must be at least {min.ToJsonString()}, got {Format(number)}.";
        }

        if (schema["exclusiveMinimum"] is JsonValue exMin && number <= ReadNumber(exMin))
        {
            return $"Parameter '{name}' must be greater than {exMin.ToJsonString()}, got {Format(number)}.";
        }

        if (schema["maximum"] is JsonValue max && number > ReadNumber(max))
        {
            return $"Parameter '{name}' must be at most {max.ToJsonString()}, got {Format(number)}.";
        }

        if (schema["exclusiveMaximum"] is JsonValue exMax && number >= ReadNumber(exMax))
        {
            return $"Parameter '{name}' must be less than {exMax.ToJsonString()}, got {Format(number)}.";
        }

        return null;
    }

    private static string Format(double number) => number.ToString("R", CultureInfo.InvariantCulture);

    private static string Article(string type) => type switch
    {
        "integer" => "an integer",
        "array" => "an array",
        "object" => "an object",
        "null" => "null",
        _ => "a " + type,
    };

    private static string Describe(JsonValueKind kind, JsonNode? value) => kind switch
    {
        JsonValueKind.Null => "null",
        JsonValueKind.String => $"the string {value!.ToJsonString()}",
        JsonValueKind.Number => $"the number {value!.ToJsonString()}",
        JsonValueKind.True or JsonValueKind.False => $"the boolean {value!.ToJsonString()}",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => kind.ToString(),
    };
}

using System.Text.Json.Nodes;

namespace DashAI.ML.Parameters;

// The builder methods are named after the JSON Schema types they emit (object, integer, number...).
#pragma warning disable CA1720 // Identifier contains type name

/// <summary>
/// Builds the JSON Schemas (draft 2020-12) that describe component parameters. Only the keywords
/// <see cref="ParameterValidator"/> understands are emitted, so what the registry shows is exactly
/// what validation enforces, plus one annotation: <see cref="LogScaleKeyword"/>, which tells a
/// hyperparameter search to search the parameter on a log scale (see <c>Optimization.SearchSpecs</c>).
/// </summary>
public static class ParameterSchema
{
    public const string Dialect = "https://json-schema.org/draft/2020-12/schema";

    /// <summary>The annotation that marks a number to search on a log scale (learning rates, penalties, tolerances).</summary>
    public const string LogScaleKeyword = "x-log-scale";

    /// <summary>Marks a numeric parameter to be searched on a log scale: its useful values span orders of magnitude.</summary>
    public static (string, JsonObject) LogScale((string Name, JsonObject Schema) parameter)
    {
        parameter.Schema[LogScaleKeyword] = true;
        return parameter;
    }

    /// <summary>A schema of an object with the given properties and nothing else.</summary>
    public static JsonObject Object(params (string Name, JsonObject Schema)[] properties)
    {
        var props = new JsonObject();
        foreach (var (name, schema) in properties)
        {
            props[name] = schema;
        }

        return new JsonObject
        {
            ["$schema"] = Dialect,
            ["type"] = "object",
            ["properties"] = props,
            ["additionalProperties"] = false,
        };
    }

    /// <summary>The schema of a component without parameters.</summary>
    public static JsonObject Empty() => Object();

    public static (string, JsonObject) Integer(string name, long defaultValue, long minimum, long maximum, string description) =>
        (name, new JsonObject
        {
            ["type"] = "integer",
            ["description"] = description,
            ["default"] = defaultValue,
            ["minimum"] = minimum,
            ["maximum"] = maximum,
        });

    public static (string, JsonObject) Number(string name, double defaultValue, double minimum, double maximum, string description, bool exclusiveMinimum = false)
    {
        var schema = new JsonObject
        {
            ["type"] = "number",
            ["description"] = description,
            ["default"] = defaultValue,
        };
        schema[exclusiveMinimum ? "exclusiveMinimum" : "minimum"] = minimum;
        schema["maximum"] = maximum;
        return (name, schema);
    }

    /// <summary>A number that may be null, where null lets the trainer choose a value from the data.</summary>
    public static (string, JsonObject) OptionalNumber(string name, double? defaultValue, double minimum, double maximum, string description) =>
        (name, new JsonObject
        {
            ["type"] = new JsonArray("number", "null"),
            ["description"] = description,
            ["default"] = defaultValue,
            ["minimum"] = minimum,
            ["maximum"] = maximum,
        });

    /// <summary>An integer that may be null, where null lets the trainer choose a value from the data.</summary>
    public static (string, JsonObject) OptionalInteger(string name, long? defaultValue, long minimum, long maximum, string description) =>
        (name, new JsonObject
        {
            ["type"] = new JsonArray("integer", "null"),
            ["description"] = description,
            ["default"] = defaultValue,
            ["minimum"] = minimum,
            ["maximum"] = maximum,
        });

    public static (string, JsonObject) Boolean(string name, bool defaultValue, string description) =>
        (name, new JsonObject
        {
            ["type"] = "boolean",
            ["description"] = description,
            ["default"] = defaultValue,
        });

    public static (string, JsonObject) Enum(string name, string defaultValue, IReadOnlyList<string> values, string description)
    {
        var allowed = new JsonArray();
        foreach (var value in values)
        {
            allowed.Add(value);
        }

        return (name, new JsonObject
        {
            ["type"] = "string",
            ["description"] = description,
            ["default"] = defaultValue,
            ["enum"] = allowed,
        });
    }

    /// <summary>
    /// An array of items matching <paramref name="items"/> (a schema without a name, e.g. from <see cref="Item"/>),
    /// with at most <paramref name="maxItems"/> of them; null allowed when <paramref name="nullable"/> (the explainer
    /// then chooses).
    /// </summary>
    public static (string, JsonObject) Array(
        string name, JsonNode? defaultValue, JsonObject items, int minItems, int maxItems, string description, bool nullable = false, bool uniqueItems = false)
    {
        var schema = new JsonObject
        {
            ["type"] = nullable ? new JsonArray("array", "null") : "array",
            ["description"] = description,
            ["default"] = defaultValue?.DeepClone(),
            ["items"] = items,
            ["minItems"] = minItems,
            ["maxItems"] = maxItems,
        };
        if (uniqueItems)
        {
            schema["uniqueItems"] = true;
        }

        return (name, schema);
    }

    /// <summary>The schema of an array item or an object value: one or more JSON types, with an optional range.</summary>
    public static JsonObject Item(string[] types, double? minimum = null, double? maximum = null)
    {
        var schema = new JsonObject
        {
            ["type"] = types.Length == 1 ? types[0] : new JsonArray([.. types.Select(t => (JsonNode)JsonValue.Create(t)!)]),
        };
        if (minimum is { } min)
        {
            schema["minimum"] = min;
        }

        if (maximum is { } max)
        {
            schema["maximum"] = max;
        }

        return schema;
    }

    /// <summary>An object whose values all match <paramref name="values"/> (any keys).</summary>
    public static JsonObject Map(JsonObject values) =>
        new() { ["type"] = "object", ["additionalProperties"] = values };
}

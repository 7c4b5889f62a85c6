using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Pointer;
using Json.Schema;

namespace DashAI.ML;

/// <summary>
/// Validates a JSON input against a JSON Schema (JsonSchema.Net) and words each failure the way a person fixing the
/// input needs it: the field's path (<c>splits.train_size</c>, <c>outputs_columns[1]</c>), what was expected and what
/// was given, and for an unknown field the known one it was probably meant to be (<see cref="StrictJson"/>).
/// </summary>
/// <remarks>
/// A subschema may carry <c>errorMessage</c>, a template with <c>{field}</c> and <c>{value}</c> (or an object of them by
/// keyword), for a rule no keyword can phrase (a pattern's meaning). Subschemas under <c>if</c> and <c>not</c> are conditions, not rules:
/// their failures are never reported. Each field gets one message (the first rule it breaks).
/// </remarks>
public sealed class SchemaMessages
{
    public const string ErrorMessageKeyword = "errorMessage";

    private static readonly EvaluationOptions ListOutput = new() { OutputFormat = OutputFormat.List };

    private readonly JsonObject document;
    private readonly JsonSchema schema;
    private readonly string rootName;

    /// <param name="document">The schema; it is copied, so later changes to it are not seen.</param>
    /// <param name="rootName">What the input is called in messages about the whole of it (e.g. <c>params</c>).</param>
    public SchemaMessages(JsonObject document, string rootName)
    {
        ArgumentNullException.ThrowIfNull(document);
        this.document = (JsonObject)document.DeepClone();
        this.rootName = rootName;
        schema = JsonSchema.Build(JsonSerializer.SerializeToElement(this.document, SchemaJsonContext.Default.JsonObject), new BuildOptions { SchemaRegistry = new SchemaRegistry() });
    }

    /// <summary>Every problem <paramref name="instance"/> has, worded for a person; empty when it is valid.</summary>
    public List<string> Check(JsonNode? instance)
    {
        var element = JsonSerializer.SerializeToElement(instance, SchemaJsonContext.Default.JsonNode);
        var results = schema.Evaluate(element, ListOutput);
        var errors = new List<string>();
        if (results.IsValid)
        {
            return errors;
        }

        var reported = new HashSet<string>(StringComparer.Ordinal);
        var unknown = new Dictionary<string, (JsonObject Parent, List<string> Keys)>(StringComparer.Ordinal);
        foreach (var detail in results.Details ?? [])
        {
            if (detail.IsValid || detail.Errors is not { Count: > 0 } || !TryLocate(detail.EvaluationPath, out var subschema, out var parent))
            {
                continue;
            }

            var location = Segments(detail.InstanceLocation);
            var value = Navigate(instance, location);
            if (subschema is JsonValue falseSchema && falseSchema.TryGetValue<bool>(out var allowed) && !allowed && parent is not null && location.Count > 0)
            {
                var parentLocation = string.Join('/', location.Take(location.Count - 1));
                if (!unknown.TryGetValue(parentLocation, out var entry))
                {
                    entry = (parent, []);
                    unknown[parentLocation] = entry;
                }

                entry.Keys.Add(location[^1]);
                continue;
            }

            if (subschema is not JsonObject rules)
            {
                continue;
            }

            foreach (var keyword in detail.Errors.Keys.OrderBy(Priority))
            {
                if (keyword == "required")
                {
                    var present = (value as JsonObject)?.Select(p => p.Key).ToHashSet(StringComparer.Ordinal) ?? [];
                    foreach (var name in (rules["required"] as JsonArray ?? []).Select(n => n!.GetValue<string>()).Where(n => !present.Contains(n)))
                    {
                        var field = FieldPath([.. location, name]);
                        if (reported.Add(field))
                        {
                            errors.Add($"{field} is required.");
                        }
                    }

                    continue;
                }

                var path = FieldPath(location);
                if (reported.Add(path))
                {
                    errors.Add(Word(path, keyword, rules, value, detail.Errors[keyword]));
                }
            }
        }

        foreach (var (parentLocation, (parent, keys)) in unknown)
        {
            var prefix = parentLocation.Length == 0 ? "" : FieldPath([.. parentLocation.Split('/')]) + ".";
            var where = parentLocation.Length > 0 && parent["title"] is JsonValue title ? title.GetValue<string>() : rootName;
            var known = (parent["properties"] as JsonObject)?.Select(p => p.Key).ToList() ?? [];
            errors.AddRange(StrictJson.UnknownKeys(keys, known, where, prefix));
        }

        return errors;
    }

    /// <summary>Which broken rule a field's one message is about: its kind first, a pattern (the least specific) last.</summary>
    private static int Priority(string keyword) => keyword switch
    {
        "type" => 0,
        "enum" or "const" => 1,
        "minLength" or "maxLength" => 2,
        "pattern" => 4,
        _ => 3,
    };

    /// <summary>How a value is shown in a message: strings in quotes, numbers and booleans as written.</summary>
    public static string Show(JsonNode? value) => value switch
    {
        null => "null",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => $"'{v.GetValue<string>()}'",
        JsonObject => "an object",
        JsonArray => "a list",
        _ => value.ToJsonString(),
    };

    private static string Given(JsonNode? value) => value switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.String => $"the string {Show(value)}",
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => $"the number {Show(value)}",
        _ => Show(value),
    };

    private static string Word(string field, string keyword, JsonObject rules, JsonNode? value, string libraryMessage)
    {
        var template = rules[ErrorMessageKeyword] switch
        {
            JsonValue all => all,
            JsonObject byKeyword => byKeyword[keyword] as JsonValue,
            _ => null,
        };
        if (template is not null)
        {
            return template.GetValue<string>().Replace("{field}", field, StringComparison.Ordinal).Replace("{value}", ShowBare(value), StringComparison.Ordinal);
        }

        switch (keyword)
        {
            case "type":
                return $"{field} must be {Expected(rules)} (got {Given(value)}).";
            case "minimum" or "maximum" or "exclusiveMinimum" or "exclusiveMaximum":
                return IsInt32(rules)
                    ? $"{field} must be {Expected(rules)} (got {Show(value)})."
                    : $"{field} must be {Range(rules)} (got {Show(value)}).";
            case "enum" or "const":
                var options = rules["enum"] as JsonArray ?? [rules["const"]?.DeepClone()];
                var choices = options.Count == 2
                    ? $"{Show(options[0])} or {Show(options[1])}"
                    : "one of " + string.Join(", ", options.Select(Show));
                return value is JsonValue s && s.GetValueKind() == JsonValueKind.String
                    ? $"{field} {Show(value)} is not supported; use {choices}."
                    : $"{field} must be {choices} (got {Show(value)}).";
            case "minLength" or "maxLength":
                var min = rules["minLength"]?.GetValue<int>();
                var max = rules["maxLength"]?.GetValue<int>();
                return (min, max) switch
                {
                    (1, 1) => $"{field} must be a single character (got {Show(value)}).",
                    (1, null) => $"{field} must not be empty.",
                    _ => $"{field} must be {min ?? 0} to {(max is null ? "any number of" : max.Value.ToString(CultureInfo.InvariantCulture))} characters long (got {Show(value)}).",
                };
            case "uniqueItems":
                var seen = new HashSet<string>(StringComparer.Ordinal);
                var twice = (value as JsonArray ?? []).FirstOrDefault(item => !seen.Add(item?.ToJsonString() ?? "null"));
                return $"{field} names {Show(twice)} twice.";
            default:
                return $"{field}: {libraryMessage}.";
        }
    }

    private static string ShowBare(JsonNode? value) =>
        value is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : Show(value);

    private static string Expected(JsonObject rules)
    {
        var types = rules["type"] switch
        {
            JsonArray many => many.Select(t => t!.GetValue<string>()).Where(t => t != "null").ToList(),
            JsonValue one => [one.GetValue<string>()],
            _ => [],
        };
        return types.FirstOrDefault() switch
        {
            "string" => "a string",
            "boolean" => "true or false",
            "integer" when IsInt32(rules) => "a whole number that fits in 32 bits",
            "integer" => "a whole number" + (HasRange(rules) ? " " + Range(rules) : ""),
            "number" => "a number" + (HasRange(rules) ? " " + Range(rules) : ""),
            "object" => "an object",
            "array" when rules["items"] is JsonObject items => $"a list of {Plural(Expected(items))}",
            "array" => "a list",
            _ => "valid",
        };
    }

    private static string Plural(string expected) => expected switch
    {
        "a string" => "strings",
        "true or false" => "booleans",
        _ => expected,
    };

    private static bool HasRange(JsonObject rules) => rules["minimum"] is not null || rules["maximum"] is not null;

    private static bool IsInt32(JsonObject rules) =>
        rules["minimum"] is JsonValue min && rules["maximum"] is JsonValue max
        && Number(min) == int.MinValue && Number(max) == int.MaxValue;

    /// <summary>A JSON number as a double, whether the node was parsed or built from a .NET number of any type.</summary>
    public static double Number(JsonNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return double.Parse(node.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    private static string Range(JsonObject rules)
    {
        var min = rules["minimum"]?.ToJsonString();
        var max = rules["maximum"]?.ToJsonString();
        return (min, max) switch
        {
            (not null, not null) => $"between {min} and {max}",
            (not null, null) => $"at least {min}",
            (null, not null) => $"at most {max}",
            _ => "in range",
        };
    }

    /// <summary>
    /// Follows an evaluation path (keywords and the names or indexes under them) through the schema document to the
    /// subschema whose keyword failed, and the schema object that holds it. False when the path runs through a
    /// condition (<c>if</c>, <c>not</c>), whose failures are not errors, or leaves the document.
    /// </summary>
    private bool TryLocate(JsonPointer evaluationPath, out JsonNode? subschema, out JsonObject? parent)
    {
        JsonNode? current = document;
        parent = null;
        subschema = null;
        var segments = Segments(evaluationPath);
        for (var i = 0; i < segments.Count; i++)
        {
            if (current is not JsonObject node)
            {
                return false;
            }

            var keyword = segments[i];
            if (keyword is "if" or "not")
            {
                return false;
            }

            // JsonSchema.Net 8 writes the path of an array item as .../items/items: the repeat names no subschema.
            if (keyword == "items" && i > 0 && segments[i - 1] == "items" && !node.ContainsKey("items"))
            {
                continue;
            }

            parent = node;
            current = node[keyword];
            if (keyword is "properties" or "patternProperties" or "$defs" or "dependentSchemas" or "allOf" or "anyOf" or "oneOf" or "prefixItems")
            {
                if (++i >= segments.Count)
                {
                    return false;
                }

                current = current switch
                {
                    JsonObject map => map[segments[i]],
                    JsonArray list when int.TryParse(segments[i], NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < list.Count => list[index],
                    _ => null,
                };
            }

            if (current is null)
            {
                return false;
            }
        }

        subschema = current;
        return true;
    }

    private static List<string> Segments(JsonPointer pointer)
    {
        var text = pointer.ToString();
        return text.Length == 0
            ? []
            : [.. text[1..].Split('/').Select(s => s.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal))];
    }

    private static JsonNode? Navigate(JsonNode? node, List<string> location)
    {
        foreach (var segment in location)
        {
            node = node switch
            {
                JsonObject o => o[segment],
                JsonArray a when int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < a.Count => a[i],
                _ => null,
            };
        }

        return node;
    }

    private string FieldPath(List<string> location)
    {
        if (location.Count == 0)
        {
            return rootName;
        }

        var path = new System.Text.StringBuilder();
        foreach (var segment in location)
        {
            if (path.Length > 0 && int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                path.Append('[').Append(segment).Append(']');
            }
            else
            {
                path.Append(path.Length == 0 ? "" : ".").Append(segment);
            }
        }

        return path.ToString();
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(JsonObject))]
[System.Text.Json.Serialization.JsonSerializable(typeof(JsonNode))]
internal sealed partial class SchemaJsonContext : System.Text.Json.Serialization.JsonSerializerContext;

using System.Collections;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Azure.Functions.Worker;
using Microsoft.OpenApi;

namespace DashAI.Functions.OpenApi;

/// <summary>
/// Builds the OpenAPI 3.1 document from the function classes themselves: every method with a <c>[Function]</c> and an
/// <c>[HttpTrigger]</c> parameter is one operation (route and methods from the trigger, the rest from its
/// <see cref="ApiOperationAttribute"/>), and schemas come from the DTO types with the API's snake_case names.
/// </summary>
public sealed class OpenApiDocumentBuilder
{
    public const string RoutePrefix = "/api/v1";
    private const string ProblemSchema = "ProblemDetails";
    private const string ProblemMediaType = "application/problem+json";
    private const string KeyScheme = "function_key";

    private static readonly JsonNamingPolicy Naming = JsonNamingPolicy.SnakeCaseLower;
    private static readonly NullabilityInfoContext Nullability = new();

    private readonly OpenApiDocument _document;
    private readonly Dictionary<Type, string> _schemaNames = [];
    private readonly Dictionary<string, OpenApiPathItem> _pathItems = new(StringComparer.Ordinal);

    private OpenApiDocument Document => _document;

    private OpenApiDocumentBuilder()
    {
        _document = new OpenApiDocument
        {
            Info = new OpenApiInfo
            {
                Title = "DashAI Functions API",
                Version = "v1",
                Description = "No-code machine learning: datasets, experiments, runs and training jobs. JSON is snake_case; errors are RFC 7807 problem details.",
            },
            Servers = [new OpenApiServer { Url = RoutePrefix }],
            Paths = [],
            Components = new OpenApiComponents
            {
                Schemas = new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal),
                SecuritySchemes = new Dictionary<string, IOpenApiSecurityScheme>(StringComparer.Ordinal)
                {
                    [KeyScheme] = new OpenApiSecurityScheme
                    {
                        Type = SecuritySchemeType.ApiKey,
                        In = ParameterLocation.Header,
                        Name = "x-functions-key",
                        Description = "A function key of the app (not checked when running locally).",
                    },
                },
            },
        };
    }

    /// <summary>One HTTP function as the document sees it.</summary>
    public sealed record HttpFunction(string Name, string Method, string Path, MethodInfo Handler, AuthorizationLevel AuthLevel);

    /// <summary>Every HTTP function in the assembly: one entry per function and method.</summary>
    public static IReadOnlyList<HttpFunction> FindHttpFunctions(Assembly assembly) =>
        [.. from type in assembly.GetTypes()
            from method in type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
            let function = method.GetCustomAttribute<FunctionAttribute>()
            let trigger = method.GetParameters().Select(p => p.GetCustomAttribute<HttpTriggerAttribute>()).FirstOrDefault(a => a is not null)
            where function is not null && trigger is not null
            from verb in trigger.Methods ?? ["get", "post", "put", "patch", "delete"]
            orderby trigger.Route, verb
            select new HttpFunction(function.Name, verb.ToUpperInvariant(), PathOf(trigger.Route ?? function.Name), method, trigger.AuthLevel)];

    /// <summary>The document for the functions of the app's assembly.</summary>
    public static OpenApiDocument Build() => Build(typeof(OpenApiDocumentBuilder).Assembly);

    public static OpenApiDocument Build(Assembly assembly)
    {
        var builder = new OpenApiDocumentBuilder();
        builder.AddProblemSchema();
        var missing = new List<string>();
        foreach (var function in FindHttpFunctions(assembly))
        {
            if (function.Handler.GetCustomAttribute<ApiOperationAttribute>() is not { } operation)
            {
                missing.Add($"{function.Method} {function.Path} ({function.Handler.DeclaringType?.Name}.{function.Handler.Name})");
                continue;
            }

            builder.AddOperation(function, operation);
        }

        if (missing.Count > 0)
        {
            throw new InvalidOperationException($"HTTP functions without an [ApiOperation]: {string.Join("; ", missing)}");
        }

        return builder.Document;
    }

    /// <summary>The document as OpenAPI 3.1 JSON.</summary>
    public static string ToJson(OpenApiDocument document)
    {
        using var writer = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
        document.SerializeAsV31(new OpenApiJsonWriter(writer));
        return writer.ToString();
    }

    /// <summary>A route template as an OpenAPI path: a leading slash, constraints and catch-all marks dropped.</summary>
    public static string PathOf(string route)
    {
        var parts = route.Trim('/').Split('/').Select(part =>
        {
            if (!part.StartsWith('{'))
            {
                return part;
            }

            var name = part.Trim('{', '}').TrimStart('*');
            var colon = name.IndexOfAny([':', '=', '?']);
            return "{" + (colon < 0 ? name : name[..colon]) + "}";
        });
        return "/" + string.Join('/', parts);
    }

    private void AddOperation(HttpFunction function, ApiOperationAttribute spec)
    {
        if (!_pathItems.TryGetValue(function.Path, out var pathItem))
        {
            pathItem = new OpenApiPathItem();
            _pathItems[function.Path] = pathItem;
            _document.Paths[function.Path] = pathItem;
        }

        var operation = new OpenApiOperation
        {
            OperationId = function.Name,
            Summary = spec.Summary,
            Tags = new HashSet<OpenApiTagReference> { new(function.Path.Split('/', StringSplitOptions.RemoveEmptyEntries)[0], _document) },
            Parameters = [],
            Responses = [],
        };
        if (function.AuthLevel != AuthorizationLevel.Anonymous)
        {
            operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(KeyScheme, _document)] = [] }];
        }

        foreach (var name in RouteParameters(function.Path))
        {
            var isId = name == "id";
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = name,
                In = ParameterLocation.Path,
                Required = true,
                Schema = isId
                    ? new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int64", Minimum = "1" }
                    : new OpenApiSchema { Type = JsonSchemaType.String },
            });
        }

        if (spec.Query is { } query)
        {
            foreach (var property in Properties(query))
            {
                operation.Parameters.Add(QueryParameter(property, required: !IsNullable(property)));
            }
        }

        if (spec.Body is { } body)
        {
            if (spec.FieldsInQuery)
            {
                foreach (var property in Properties(body).Where(p => IsScalar(p.PropertyType)))
                {
                    operation.Parameters.Add(QueryParameter(property, required: false, thesisForm: true));
                }
            }

            operation.RequestBody = new OpenApiRequestBody
            {
                Required = !spec.FieldsInQuery,
                Content = new Dictionary<string, IOpenApiMediaType>
                {
                    [spec.BodyMediaType] = new OpenApiMediaType { Schema = SchemaFor(body, nullable: false) },
                },
            };
        }

        AddSuccess(operation, spec.Status, spec);
        if (spec.AlsoStatus != 0)
        {
            AddSuccess(operation, spec.AlsoStatus, spec);
        }

        foreach (var status in spec.Errors.Concat([500, 503]).Distinct().Order())
        {
            if (operation.Responses.ContainsKey(status.ToString(System.Globalization.CultureInfo.InvariantCulture)))
            {
                // A status the operation documents with its own body (health's 503).
                continue;
            }

            operation.Responses[status.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new OpenApiResponse
            {
                Description = ErrorDescription(status),
                Content = new Dictionary<string, IOpenApiMediaType>
                {
                    [ProblemMediaType] = new OpenApiMediaType { Schema = new OpenApiSchemaReference(ProblemSchema, _document) },
                },
            };
        }

        pathItem.AddOperation(new HttpMethod(function.Method), operation);
    }

    private void AddSuccess(OpenApiOperation operation, int status, ApiOperationAttribute spec)
    {
        var response = new OpenApiResponse { Description = status >= 400 ? ErrorDescription(status) : SuccessDescription(status) };
        if (spec.Response is { } type)
        {
            var mediaType = spec.ResponseMediaType ?? "application/json";
            response.Content = new Dictionary<string, IOpenApiMediaType>
            {
                [mediaType] = new OpenApiMediaType
                {
                    Schema = spec.ResponseMediaType is null
                        ? SchemaFor(type, nullable: false)
                        : new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" },
                },
            };
        }

        operation.Responses![status.ToString(System.Globalization.CultureInfo.InvariantCulture)] = response;
    }

    private OpenApiParameter QueryParameter(PropertyInfo property, bool required, bool thesisForm = false)
    {
        var description = property.GetCustomAttribute<ApiDescriptionAttribute>()?.Text;
        if (thesisForm)
        {
            description = (description is null ? "" : description + " ") + "Thesis form: may be given here instead of in the body.";
        }

        return new OpenApiParameter
        {
            Name = Naming.ConvertName(property.Name),
            In = ParameterLocation.Query,
            Required = required,
            Description = description,
            Schema = PropertySchema(property),
        };
    }

    private static IEnumerable<string> RouteParameters(string path) =>
        path.Split('/').Where(p => p.StartsWith('{')).Select(p => p.Trim('{', '}'));

    private static IEnumerable<PropertyInfo> Properties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetMethod is not null && p.GetIndexParameters().Length == 0 && p.Name != "EqualityContract");

    private static bool IsScalar(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type.IsPrimitive || type == typeof(string) || type.IsEnum || type == typeof(decimal);
    }

    private static bool IsNullable(PropertyInfo property) =>
        Nullable.GetUnderlyingType(property.PropertyType) is not null
        || (!property.PropertyType.IsValueType && Nullability.Create(property).ReadState == NullabilityState.Nullable);

    private IOpenApiSchema PropertySchema(PropertyInfo property)
    {
        var nullable = IsNullable(property);
        if ((property.GetCustomAttribute<ApiValuesAttribute>() ?? ParameterAttribute<ApiValuesAttribute>(property)) is { } values)
        {
            return ValuesSchema(values, Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType, nullable);
        }

        var schema = SchemaFor(property.PropertyType, nullable);
        var description = property.GetCustomAttribute<ApiDescriptionAttribute>()?.Text ?? ParameterAttribute<ApiDescriptionAttribute>(property)?.Text;
        if (description is not null && schema is OpenApiSchema inline)
        {
            inline.Description = description;
        }

        return schema;
    }

    // Positional records carry attributes on the constructor parameter unless they say [property: ...].
    private static T? ParameterAttribute<T>(PropertyInfo property)
        where T : Attribute =>
        property.DeclaringType?.GetConstructors()
            .SelectMany(c => c.GetParameters())
            .FirstOrDefault(p => p.Name == property.Name)?
            .GetCustomAttribute<T>();

    private static OpenApiSchema ValuesSchema(ApiValuesAttribute values, Type propertyType, bool nullable)
    {
        var source = values.Source;
        var schema = new OpenApiSchema { Enum = [] };
        if (source.IsEnum && propertyType == typeof(string))
        {
            schema.Type = JsonSchemaType.String;
            foreach (var name in Enum.GetNames(source))
            {
                schema.Enum.Add(JsonValue.Create(name));
            }
        }
        else if (source.IsEnum)
        {
            // Enums are sent as their numbers (the thesis status codes); the names go to x-enum-varnames and the description.
            var names = Enum.GetNames(source);
            var numbers = Enum.GetValues(source).Cast<object>().Select(Convert.ToInt64).ToArray();
            schema.Type = JsonSchemaType.Integer;
            foreach (var number in numbers)
            {
                schema.Enum.Add(JsonValue.Create(number));
            }

            var upperNames = names.Select(n => JsonNamingPolicy.SnakeCaseUpper.ConvertName(n)).ToArray();
            schema.Description = string.Join(", ", numbers.Zip(upperNames, (n, name) => $"{n} {name}"));
            schema.Extensions = new Dictionary<string, IOpenApiExtension>
            {
                ["x-enum-varnames"] = new JsonNodeExtension(new JsonArray([.. upperNames.Select(n => (JsonNode)JsonValue.Create(n))])),
            };
        }
        else
        {
            schema.Type = JsonSchemaType.String;
            var constants = source.GetFields(BindingFlags.Public | BindingFlags.Static)
                .Where(f => f.IsLiteral && f.FieldType == typeof(string))
                .Select(f => (string)f.GetRawConstantValue()!)
                .Concat(values.Extra);
            foreach (var constant in constants)
            {
                schema.Enum.Add(JsonValue.Create(constant));
            }
        }

        if (nullable)
        {
            schema.Type |= JsonSchemaType.Null;
            schema.Enum.Add(null!);
        }

        return schema;
    }

    private IOpenApiSchema SchemaFor(Type type, bool nullable)
    {
        var underlying = Nullable.GetUnderlyingType(type);
        if (underlying is not null)
        {
            type = underlying;
            nullable = true;
        }

        var schema = Primitive(type);
        if (schema is not null)
        {
            if (nullable && schema.Type is { } t)
            {
                schema.Type = t | JsonSchemaType.Null;
            }

            return schema;
        }

        if (DictionaryValueType(type) is { } value)
        {
            return new OpenApiSchema
            {
                Type = nullable ? JsonSchemaType.Object | JsonSchemaType.Null : JsonSchemaType.Object,
                AdditionalProperties = SchemaFor(value, nullable: false),
            };
        }

        if (ElementType(type) is { } element)
        {
            return new OpenApiSchema
            {
                Type = nullable ? JsonSchemaType.Array | JsonSchemaType.Null : JsonSchemaType.Array,
                Items = SchemaFor(element, nullable: false),
            };
        }

        var reference = new OpenApiSchemaReference(ComponentSchema(type), _document);
        return nullable
            ? new OpenApiSchema { OneOf = [reference, new OpenApiSchema { Type = JsonSchemaType.Null }] }
            : reference;
    }

    private static OpenApiSchema? Primitive(Type type)
    {
        if (type == typeof(string))
        {
            return new OpenApiSchema { Type = JsonSchemaType.String };
        }

        if (type == typeof(bool))
        {
            return new OpenApiSchema { Type = JsonSchemaType.Boolean };
        }

        if (type == typeof(int) || type == typeof(short) || type == typeof(byte))
        {
            return new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32" };
        }

        if (type == typeof(long))
        {
            return new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int64" };
        }

        if (type == typeof(double) || type == typeof(float) || type == typeof(decimal))
        {
            return new OpenApiSchema { Type = JsonSchemaType.Number, Format = type == typeof(float) ? "float" : "double" };
        }

        if (type == typeof(DateTime) || type == typeof(DateTimeOffset))
        {
            return new OpenApiSchema { Type = JsonSchemaType.String, Format = "date-time" };
        }

        if (type == typeof(Stream) || type == typeof(byte[]))
        {
            return new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" };
        }

        if (type == typeof(JsonObject))
        {
            return new OpenApiSchema { Type = JsonSchemaType.Object };
        }

        if (type == typeof(JsonArray))
        {
            return new OpenApiSchema { Type = JsonSchemaType.Array };
        }

        if (type == typeof(JsonNode) || type == typeof(JsonElement) || type == typeof(object))
        {
            // Any JSON value.
            return new OpenApiSchema();
        }

        if (type.IsEnum)
        {
            var schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Enum = [] };
            foreach (var value in Enum.GetValues(type).Cast<object>().Select(Convert.ToInt64))
            {
                schema.Enum.Add(JsonValue.Create(value));
            }

            schema.Description = string.Join(", ", Enum.GetValues(type).Cast<object>().Select(v => $"{Convert.ToInt64(v)} {JsonNamingPolicy.SnakeCaseUpper.ConvertName(v.ToString()!)}"));
            return schema;
        }

        return null;
    }

    /// <summary>The value type of a dictionary keyed by strings (a JSON object), or null.</summary>
    private static Type? DictionaryValueType(Type type) =>
        (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlyDictionary<,>) ? [type] : type.GetInterfaces())
            .Where(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IReadOnlyDictionary<,>) && i.GetGenericArguments()[0] == typeof(string))
            .Select(i => i.GetGenericArguments()[1])
            .FirstOrDefault();

    private static Type? ElementType(Type type)
    {
        if (type.IsArray)
        {
            return type.GetElementType();
        }

        if (type != typeof(string) && typeof(IEnumerable).IsAssignableFrom(type) && type.IsGenericType)
        {
            return type.GetGenericArguments()[0];
        }

        return null;
    }

    private string ComponentSchema(Type type)
    {
        if (_schemaNames.TryGetValue(type, out var existing))
        {
            return existing;
        }

        var name = type.Name;
        _schemaNames[type] = name;
        var schema = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Properties = new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal),
            Required = new HashSet<string>(StringComparer.Ordinal),
        };
        _document.Components!.Schemas![name] = schema;
        foreach (var property in Properties(type))
        {
            var json = Naming.ConvertName(property.Name);
            schema.Properties[json] = PropertySchema(property);
            if (!IsNullable(property))
            {
                schema.Required.Add(json);
            }
        }

        return name;
    }

    private void AddProblemSchema() =>
        _document.Components!.Schemas![ProblemSchema] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "RFC 7807 problem details. A 400 from input checks may add 'errors' (every problem found) and 'row'; a 500 adds 'error_id'.",
            Properties = new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal)
            {
                ["type"] = new OpenApiSchema { Type = JsonSchemaType.String },
                ["title"] = new OpenApiSchema { Type = JsonSchemaType.String },
                ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32" },
                ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String },
                ["instance"] = new OpenApiSchema { Type = JsonSchemaType.String },
                ["errors"] = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
                ["row"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int64" },
                ["error_id"] = new OpenApiSchema { Type = JsonSchemaType.String },
            },
            Required = new HashSet<string>(StringComparer.Ordinal) { "status", "title", "detail" },
        };

    private static string SuccessDescription(int status) => status switch
    {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        _ => "Success",
    };

    private static string ErrorDescription(int status) => status switch
    {
        400 => "Bad Request: the input is invalid",
        404 => "Not Found",
        409 => "Conflict with the current state",
        412 => "Precondition Failed: the If-Match ETag is stale",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        500 => "Internal Server Error (with an error_id)",
        503 => "Service Unavailable: storage is busy or unreachable",
        _ => "Error",
    };
}

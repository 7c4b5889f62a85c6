using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure;
using DashAI.Functions.Storage;
using DashAI.ML;
using Microsoft.AspNetCore.Http;

namespace DashAI.Functions.Http;

/// <summary>
/// The fields of a create or update request. The thesis API passed them as query parameters; clients may also
/// send a JSON object body with the same snake_case names. A field given in both places is an error.
/// </summary>
public sealed class RequestInput
{
    private readonly IQueryCollection _query;

    private RequestInput(IQueryCollection query, JsonNode? body)
    {
        _query = query;
        Body = body;
    }

    /// <summary>The parsed JSON body, if the request had one.</summary>
    public JsonNode? Body { get; }

    public JsonObject? BodyObject => Body as JsonObject;

    /// <summary>The largest JSON body a create or update accepts (a field of the dataset form has the same limit).</summary>
    public const int MaxBodyBytes = 1 << 20;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Reads the request's fields; a JSON body must be an object whose keys are all among <paramref name="fields"/>
    /// (an unknown key is a 400 naming it, with the known field it probably meant) and appear once each.
    /// </summary>
    public static async Task<RequestInput> ReadAsync(HttpRequest request, IReadOnlyCollection<string> fields, CancellationToken cancellationToken)
    {
        var input = await ReadUncheckedAsync(request, cancellationToken);
        input.RejectUnknownFields(fields);
        return input;
    }

    /// <summary>
    /// Reads the request's fields without checking the body's keys, for endpoints whose body may be a free-form object
    /// (a run's parameters, checked against the model's schema instead); they call <see cref="RejectUnknownFields"/> when
    /// the body holds fields. Duplicate keys are refused at any depth.
    /// </summary>
    public static async Task<RequestInput> ReadUncheckedAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        JsonNode? body = null;
        if (request.ContentLength is not 0 && request.Body is not null)
        {
            if (request.ContentLength > MaxBodyBytes)
            {
                throw new PayloadTooLargeException($"The request body is larger than {MaxBodyBytes} bytes.");
            }

            var text = await ReadBodyAsync(request.Body, cancellationToken);
            if (!string.IsNullOrWhiteSpace(text))
            {
                if (request.ContentType is { } contentType && !contentType.Contains("json", StringComparison.OrdinalIgnoreCase))
                {
                    throw new UnsupportedMediaTypeException($"Send the body as application/json, not '{contentType}'.");
                }

                body = ParseJson(text, "The request body");
            }
        }

        return new RequestInput(request.Query, body);
    }

    /// <summary>Parses JSON text, refusing malformed JSON and keys given twice with a 400 that names <paramref name="what"/>.</summary>
    public static JsonNode? ParseJson(string text, string what)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(text);
        }
        catch (JsonException e)
        {
            throw new BadRequestException($"{what} is not valid JSON: {e.Message}");
        }

        return StrictJson.FindDuplicateKey(text) is { } duplicate
            ? throw new BadRequestException($"{what} gives the field '{duplicate}' more than once.")
            : node;
    }

    /// <summary>Refuses a body that is not a JSON object or holds a key outside <paramref name="fields"/>.</summary>
    public void RejectUnknownFields(IReadOnlyCollection<string> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        if (Body is null)
        {
            return;
        }

        if (Body is not JsonObject body)
        {
            throw new BadRequestException(fields.Count == 0
                ? "This request takes no body."
                : $"The request body must be a JSON object with the fields {string.Join(", ", fields)}.");
        }

        var errors = StrictJson.UnknownKeys(body.Select(p => p.Key), fields, "the request body");
        if (errors.Count > 0)
        {
            throw new BadRequestException(string.Join(" ", errors));
        }
    }

    private static async Task<string> ReadBodyAsync(Stream body, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                throw new PayloadTooLargeException($"The request body is larger than {MaxBodyBytes} bytes.");
            }

            buffer.Write(chunk, 0, read);
        }

        try
        {
            return StrictUtf8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length).TrimStart('\uFEFF');
        }
        catch (DecoderFallbackException)
        {
            throw new BadRequestException("The request body is not valid UTF-8.");
        }
    }

    /// <summary>
    /// Reads the request's fields (thesis query form or JSON body) into <typeparamref name="T"/>, a record whose
    /// constructor parameters name the fields in snake_case (<see cref="BindAliasAttribute"/> adds other names); a body
    /// key that is not a field is refused as in <see cref="ReadAsync"/>.
    /// </summary>
    public static async Task<T> BindAsync<T>(HttpRequest request, CancellationToken cancellationToken)
        where T : class
    {
        var input = await ReadAsync(request, FieldsOf<T>(), cancellationToken);
        return input.Bind<T>();
    }

    /// <summary>Every name a field of <typeparamref name="T"/> may be given under: its snake_case name, then its aliases.</summary>
    public static IReadOnlyList<string> FieldsOf<T>() => [.. Binding.Of(typeof(T)).Fields.SelectMany(f => f.Names)];

    /// <summary>
    /// These fields as a <typeparamref name="T"/>: a non-nullable parameter is required ("'x' is required."), a
    /// nullable one is null when absent; a value of the wrong kind is a 400 naming the field.
    /// </summary>
    public T Bind<T>()
        where T : class
    {
        var binding = Binding.Of(typeof(T));
        var arguments = new object?[binding.Fields.Count];
        for (var i = 0; i < arguments.Length; i++)
        {
            var field = binding.Fields[i];
            var names = field.Names;
            arguments[i] = (Nullable.GetUnderlyingType(field.Type) ?? field.Type) switch
            {
                var t when t == typeof(long) => field.Required ? RequireLong(names) : GetLong(names),
                var t when t == typeof(int) => ToInt32(names[0], field.Required ? RequireLong(names) : GetLong(names)),
                var t when t == typeof(string) => field.Required ? RequireString(names) : GetString(names),
                var t when t == typeof(JsonObject) => field.Required ? GetObject(names) ?? throw new BadRequestException($"'{names[0]}' is required.") : GetObject(names),
                var t => throw new InvalidOperationException($"{typeof(T).Name}.{field.Name}: RequestInput binds long, int, string and JsonObject fields, not {t.Name}."),
            };
        }

        return (T)binding.Constructor.Invoke(arguments);
    }

    private static int? ToInt32(string name, long? value) =>
        value is null or (>= int.MinValue and <= int.MaxValue)
            ? (int?)value
            : throw new BadRequestException($"'{name}' must be an integer from {int.MinValue} to {int.MaxValue}, got {value}.");

    /// <summary>
    /// The thesis form of a request whose body is one field's value (a run's parameters object): the same fields, with
    /// the body moved under <paramref name="field"/>; a body that is not a JSON object is refused with <paramref name="notAnObject"/>.
    /// </summary>
    public RequestInput WithBodyAs(string field, string notAnObject) => Body switch
    {
        null => this,
        JsonObject body => new RequestInput(_query, new JsonObject { [field] = body.DeepClone() }),
        _ => throw new BadRequestException(notAnObject),
    };

    /// <summary>Whether any of the names appears in the query or the body object.</summary>
    public bool Has(params string[] names) =>
        names.Any(n => _query.ContainsKey(n) || (BodyObject?.ContainsKey(n) ?? false));

    public string? GetString(params string[] names)
    {
        var (name, query, node) = Find(names);
        if (name is null)
        {
            return null;
        }

        if (query is not null)
        {
            return query;
        }

        return node switch
        {
            null => null,
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            _ => throw new BadRequestException($"'{name}' must be a string."),
        };
    }

    public string RequireString(params string[] names)
    {
        var value = GetString(names);
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new BadRequestException($"'{names[0]}' is required.");
        }

        return value.Trim();
    }

    public long? GetLong(params string[] names)
    {
        var (name, query, node) = Find(names);
        if (name is null)
        {
            return null;
        }

        if (query is not null)
        {
            return long.TryParse(query, NumberStyles.Integer, CultureInfo.InvariantCulture, out var q)
                ? q
                : throw new BadRequestException($"'{name}' must be an integer, got '{query}'.");
        }

        return node switch
        {
            null => null,
            JsonValue v when v.TryGetValue<long>(out var l) => l,
            JsonValue v when v.TryGetValue<double>(out var d) && d == Math.Floor(d) && Math.Abs(d) < 9e15 => (long)d,
            _ => throw new BadRequestException($"'{name}' must be an integer."),
        };
    }

    public long RequireLong(params string[] names) =>
        GetLong(names) ?? throw new BadRequestException($"'{names[0]}' is required.");

    /// <summary>A JSON object field of the body (or, for query forms, a JSON string in the query).</summary>
    public JsonObject? GetObject(params string[] names)
    {
        var (name, query, node) = Find(names);
        if (name is null)
        {
            return null;
        }

        if (query is not null)
        {
            node = ParseJson(query, $"'{name}'");
        }

        return node switch
        {
            null => null,
            JsonObject o => o,
            _ => throw new BadRequestException($"'{name}' must be a JSON object."),
        };
    }

    private (string? Name, string? Query, JsonNode? Node) Find(string[] names)
    {
        string? found = null;
        string? query = null;
        JsonNode? node = null;
        foreach (var name in names)
        {
            var inQuery = _query.TryGetValue(name, out var values);
            JsonNode? bodyValue = null;
            var inBody = BodyObject?.TryGetPropertyValue(name, out bodyValue) ?? false;
            if (!inQuery && !inBody)
            {
                continue;
            }

            if (found is not null || (inQuery && inBody))
            {
                throw new BadRequestException($"'{names[0]}' is given more than once.");
            }

            found = name;
            query = inQuery ? values.ToString() : null;
            node = bodyValue;
        }

        return (found, query, node);
    }

    /// <summary>
    /// What a DELETE names: its If-Match header checked, no query or body field allowed, then the object (404 when
    /// it is not there) and the ETag the delete must match.
    /// </summary>
    public static async Task<(T Entity, ETag IfMatch)> ReadDeleteAsync<T>(HttpRequest request, EntityStore<T> store, string id, CancellationToken cancellationToken)
        where T : EntityBase, new()
    {
        ArgumentNullException.ThrowIfNull(store);
        ValidateIfMatch(request);
        await ReadAsync(request, [], cancellationToken);
        var entity = await store.GetAsync(ParseId(id), cancellationToken);
        return (entity, IfMatch(request, entity.ETag));
    }

    /// <summary>
    /// The ETag to write <paramref name="current"/> back with: the entity's own, after checking that the client's
    /// If-Match (when it sent one) names it. A malformed If-Match is a 400, a well-formed one that does not match a 412.
    /// Call <see cref="ValidateIfMatch"/> before doing any work so that a malformed header costs nothing.
    /// </summary>
    public static ETag IfMatch(HttpRequest request, ETag current)
    {
        var required = ValidateIfMatch(request);
        if (required is null || required == "*")
        {
            return current;
        }

        return OpaqueTag(required) == OpaqueTag(current.ToString("H"))
            ? current
            : throw new PreconditionFailedException($"If-Match {required} does not match the current ETag {current.ToString("H")}; read the object again and retry.");
    }

    /// <summary>The If-Match header when it is well formed (<c>*</c> or one entity tag, <c>"x"</c> or <c>W/"x"</c>), null when absent; 400 otherwise.</summary>
    public static string? ValidateIfMatch(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var values = request.Headers.IfMatch;
        if (values.Count == 0 || values.All(string.IsNullOrWhiteSpace))
        {
            return null;
        }

        var header = values.ToString().Trim();
        if (values.Count > 1 || !IsEntityTag(header))
        {
            throw new BadRequestException($"If-Match must be * or one ETag as the API sent it (a quoted string such as W/\"...\"), got '{header}'.");
        }

        return header;
    }

    private static bool IsEntityTag(string value)
    {
        if (value == "*")
        {
            return true;
        }

        var tag = value.StartsWith("W/", StringComparison.Ordinal) ? value[2..] : value;
        return tag.Length >= 2 && tag[0] == '"' && tag[^1] == '"'
            && tag[1..^1].All(c => c == 0x21 || (c >= 0x23 && c <= 0x7E) || (c >= 0x80 && c <= 0xFF));
    }

    // The stored tags are weak (W/"..."); a client that drops or adds the W/ still names the same version.
    private static string OpaqueTag(string tag) => tag.StartsWith("W/", StringComparison.Ordinal) ? tag[2..] : tag;

    /// <summary>Parses an id from a route segment.</summary>
    public static long ParseId(string id, string name = "id") =>
        long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : throw new BadRequestException($"'{name}' must be a positive integer, got '{id}'.");

    private sealed record BoundField(string Name, string[] Names, Type Type, bool Required);

    /// <summary>How a request record is built: its widest constructor and a field per parameter (cached per type).</summary>
    private sealed record Binding(ConstructorInfo Constructor, IReadOnlyList<BoundField> Fields)
    {
        private static readonly ConcurrentDictionary<Type, Binding> Cache = new();
        private static readonly NullabilityInfoContext Nullability = new();

        public static Binding Of(Type type) => Cache.GetOrAdd(type, static t =>
        {
            var constructor = t.GetConstructors().OrderByDescending(c => c.GetParameters().Length).First();
            var fields = constructor.GetParameters().Select(p =>
            {
                var property = t.GetProperty(p.Name!);
                var aliases = property?.GetCustomAttribute<BindAliasAttribute>()?.Names ?? [];
                var nullable = Nullable.GetUnderlyingType(p.ParameterType) is not null
                    || (!p.ParameterType.IsValueType && Nullability.Create(p).WriteState != NullabilityState.NotNull);
                return new BoundField(p.Name!, [JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name!), .. aliases], p.ParameterType, !nullable);
            }).ToList();
            return new Binding(constructor, fields);
        });
    }
}

/// <summary>Other names a request field is accepted under (the thesis API's older spellings), after its own.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class BindAliasAttribute(params string[] names) : Attribute
{
    public IReadOnlyList<string> Names { get; } = names;
}

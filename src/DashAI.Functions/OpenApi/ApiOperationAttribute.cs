namespace DashAI.Functions.OpenApi;

/// <summary>
/// What the OpenAPI document says about one HTTP function beyond its <c>[HttpTrigger]</c> route and methods: a
/// one-line summary, the success status and body type, the request body, query parameters and error statuses.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class ApiOperationAttribute(string summary) : Attribute
{
    public string Summary { get; } = summary;

    /// <summary>The success status code.</summary>
    public int Status { get; set; } = 200;

    /// <summary>The success body's type (a DTO, or an array of one); none for an empty body.</summary>
    public Type? Response { get; set; }

    /// <summary>The success body's media type when it is not JSON (e.g. a file download).</summary>
    public string? ResponseMediaType { get; set; }

    /// <summary>Another success status with the same body (e.g. 202 beside 200 for a cancel).</summary>
    public int AlsoStatus { get; set; }

    /// <summary>The request body's type; its properties are the fields.</summary>
    public Type? Body { get; set; }

    /// <summary>The request body's media type.</summary>
    public string BodyMediaType { get; set; } = "application/json";

    /// <summary>The thesis form: the body's scalar fields are also accepted as query parameters.</summary>
    public bool FieldsInQuery { get; set; }

    /// <summary>A type whose properties are the query parameters.</summary>
    public Type? Query { get; set; }

    /// <summary>Error statuses the operation answers with problem details (500 and 503 are added to every operation).</summary>
    public int[] Errors { get; set; } = [];
}

/// <summary>Names the values a string or integer property may take, for the OpenAPI schema.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter, AllowMultiple = false)]
public sealed class ApiValuesAttribute(Type source, params string[] extra) : Attribute
{
    /// <summary>An enum (integer values with their names) or a class of string constants.</summary>
    public Type Source { get; } = source;

    public IReadOnlyList<string> Extra { get; } = extra;
}

/// <summary>A property's description in the OpenAPI schema.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter, AllowMultiple = false)]
public sealed class ApiDescriptionAttribute(string text) : Attribute
{
    public string Text { get; } = text;
}

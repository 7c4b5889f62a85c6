using System.Reflection;
using System.Text.Json.Nodes;
using DashAI.Functions.OpenApi;
using DashAI.Functions.Runs;
using Microsoft.Azure.Functions.Worker;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;

namespace DashAI.Functions.Tests.OpenApi;

/// <summary>The OpenAPI document is generated from the functions; these tests keep the two in step.</summary>
public sealed class OpenApiDocumentTests
{
    private static readonly Assembly App = typeof(RunFunctions).Assembly;

    // Found independently of the builder: every [Function] method with an [HttpTrigger] parameter, per HTTP method.
    private static HashSet<string> HttpFunctionsByReflection() =>
        [.. from type in App.GetTypes()
            from method in type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
            where method.GetCustomAttribute<FunctionAttribute>() is not null
            let trigger = method.GetParameters().Select(p => p.GetCustomAttribute<HttpTriggerAttribute>()).SingleOrDefault(t => t is not null)
            where trigger is not null
            from verb in trigger.Methods!
            select $"{verb.ToUpperInvariant()} /{trigger.Route!.Trim('/')}"];

    private static JsonObject DocumentJson() =>
        JsonNode.Parse(OpenApiDocumentBuilder.ToJson(OpenApiDocumentBuilder.Build()))!.AsObject();

    [Fact]
    public void EveryHttpFunctionHasExactlyOneOperationAndEveryOperationAFunction()
    {
        var functions = HttpFunctionsByReflection();
        var document = DocumentJson();
        var operations = new HashSet<string>();
        foreach (var (path, item) in document["paths"]!.AsObject())
        {
            foreach (var (method, _) in item!.AsObject().Where(p => p.Key is "get" or "post" or "put" or "patch" or "delete"))
            {
                operations.Add($"{method.ToUpperInvariant()} {path}");
            }
        }

        Assert.True(functions.Count >= 27, $"only {functions.Count} HTTP functions found");
        Assert.Empty(functions.Except(operations));
        Assert.Empty(operations.Except(functions));
    }

    [Fact]
    public void AFunctionWithoutAnOperationAttributeFailsTheBuild()
    {
        var error = Assert.Throws<InvalidOperationException>(() => OpenApiDocumentBuilder.Build(typeof(OpenApiDocumentTests).Assembly));

        Assert.Contains("GET /undocumented", error.Message);
    }

    [Fact]
    public void DocumentReadsBackAsOpenApi31WithoutErrors()
    {
        var json = OpenApiDocumentBuilder.ToJson(OpenApiDocumentBuilder.Build());

        var result = OpenApiDocument.Parse(json, OpenApiConstants.Json, new OpenApiReaderSettings());

        Assert.NotNull(result.Document);
        Assert.Empty(result.Diagnostic!.Errors);
        Assert.Equal(OpenApiSpecVersion.OpenApi3_1, result.Diagnostic.SpecificationVersion);
        Assert.StartsWith("3.1", JsonNode.Parse(json)!["openapi"]!.GetValue<string>());
        Assert.Equal(HttpFunctionsByReflection().Count, result.Document!.Paths.Sum(p => p.Value.Operations!.Count));
    }

    [Fact]
    public void EveryOperationHasASummaryAndProblemDetailsForEachErrorStatus()
    {
        foreach (var (path, item) in DocumentJson()["paths"]!.AsObject())
        {
            foreach (var (method, operation) in item!.AsObject())
            {
                Assert.False(string.IsNullOrWhiteSpace(operation!["summary"]?.GetValue<string>()), $"{method} {path} has no summary");
                foreach (var (status, response) in operation["responses"]!.AsObject())
                {
                    if (int.Parse(status) >= 400 && !(path == "/health" && status == "503"))
                    {
                        Assert.Equal("#/components/schemas/ProblemDetails", response!["content"]?["application/problem+json"]?["schema"]?["$ref"]?.GetValue<string>());
                    }
                }

                Assert.True(operation["responses"]!.AsObject().Any(r => r.Key.StartsWith('2')), $"{method} {path} has no success response");
            }
        }
    }

    [Fact]
    public void SchemasUseSnakeCaseAndRunStatusNamesItsValues()
    {
        var schemas = DocumentJson()["components"]!["schemas"]!.AsObject();
        var run = schemas["RunDto"]!["properties"]!.AsObject();

        Assert.All(run.Select(p => p.Key), name => Assert.Equal(System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(name), name));
        Assert.Contains("experiment_id", run.Select(p => p.Key));
        var status = run["status"]!;
        Assert.Equal([0, 1, 2, 3, 4, 5], status["enum"]!.AsArray().Select(v => v!.GetValue<int>()));
        Assert.Equal(["NOT_STARTED", "DELIVERED", "STARTED", "FINISHED", "ERROR", "CANCELLED"], status["x-enum-varnames"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.Contains("3 FINISHED", status["description"]!.GetValue<string>());
        var jobStatus = schemas["JobDto"]!["properties"]!["status"]!["enum"]!.AsArray().Select(v => v!.GetValue<string>());
        Assert.Equal(["queued", "running", "succeeded", "failed", "cancelled"], jobStatus);
        // Nullable properties are 3.1 type arrays with null, and not required.
        Assert.Equal(["null", "string"], run["error"]!["type"]!.AsArray().Select(v => v!.GetValue<string>()).Order());
        Assert.DoesNotContain("error", schemas["RunDto"]!["required"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.Contains("model_name", schemas["RunDto"]!["required"]!.AsArray().Select(v => v!.GetValue<string>()));
    }

    [Fact]
    public void ParametersComeFromTheRouteAndTheThesisQueryForm()
    {
        var paths = DocumentJson()["paths"]!;

        var getRun = paths["/run/{id}"]!["get"]!["parameters"]!.AsArray();
        Assert.Contains(getRun, p => p!["name"]!.GetValue<string>() == "id" && p["in"]!.GetValue<string>() == "path" && p["required"]!.GetValue<bool>());

        var createExperiment = paths["/experiment"]!["post"]!;
        var query = createExperiment["parameters"]!.AsArray().Where(p => p!["in"]!.GetValue<string>() == "query").Select(p => p!["name"]!.GetValue<string>());
        Assert.Equal(["dataset_id", "task_name", "name"], query);
        Assert.NotNull(createExperiment["requestBody"]!["content"]!["application/json"]);

        var enqueue = paths["/job/runner"]!["post"]!["parameters"]!.AsArray().Single();
        Assert.Equal("run_id", enqueue!["name"]!.GetValue<string>());
        Assert.True(enqueue["required"]!.GetValue<bool>());

        Assert.NotNull(paths["/dataset"]!["post"]!["requestBody"]!["content"]!["multipart/form-data"]);
        Assert.Null(paths["/health"]!["get"]!["security"]);
        Assert.NotNull(paths["/run"]!["get"]!["security"]);
    }
}

/// <summary>A function the builder must refuse: it has no [ApiOperation].</summary>
public sealed class UndocumentedFunction
{
    [Function("Undocumented")]
    public static string Run([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "undocumented")] Microsoft.AspNetCore.Http.HttpRequest request) => "";
}

using DashAI.Functions.Http;
using DashAI.Functions.OpenApi;
using DashAI.ML.Components;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace DashAI.Functions.Components;

/// <summary>A registry entry as the API returns it.</summary>
public sealed record ComponentDto(
    string Name,
    [property: ApiValues(typeof(ComponentType))] string Type,
    string Description,
    System.Text.Json.Nodes.JsonObject ParameterSchema,
    IReadOnlyList<string> CompatibleTasks,
    string? Direction)
{
    public static ComponentDto From(ComponentInfo c) =>
        new(c.Name, c.Type.ToString(), c.Description, c.ParameterSchema, c.CompatibleTasks, c.Direction);
}

/// <summary>The query of <c>GET /component</c>.</summary>
public sealed record ComponentListQuery(
    [property: ApiDescription("Comma-separated component types: Task, Model, Metric, DataLoader, Optimizer.")] string? SelectTypes,
    [property: ApiDescription("Only the components that fit this one (e.g. the models of a task).")] string? RelatedComponent);

/// <summary>The component registry: tasks, models, metrics, dataloaders and optimizers, and which fit which.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822", Justification = "Function methods are invoked on an instance the worker activates, like every other function class.")]
public sealed class ComponentFunctions
{
    [Function("ListComponents")]
    [ApiOperation("List the registry's tasks, models, metrics, dataloaders, explainers and optimizers", Response = typeof(ComponentDto[]), Query = typeof(ComponentListQuery), Errors = [400])]
    public async Task<IResult> List(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "component")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var query = await RequestInput.BindAsync<ComponentListQuery>(request, cancellationToken);
        var types = (query.SelectTypes ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var related = query.RelatedComponent;
        var components = ComponentRegistry.List(types, string.IsNullOrWhiteSpace(related) ? null : related.Trim());
        return TypedResults.Ok(components.Select(ComponentDto.From));
    }

    [Function("GetComponent")]
    [ApiOperation("Read one registry component by name", Response = typeof(ComponentDto), Errors = [404])]
    public IResult Get(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "component/{name}")] HttpRequest request,
        string name)
    {
        var component = ComponentRegistry.Find(name) ?? throw new NotFoundException($"Component '{name}' not found");
        return TypedResults.Ok(ComponentDto.From(component));
    }
}

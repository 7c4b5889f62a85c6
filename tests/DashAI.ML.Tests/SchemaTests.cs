using System.Text.Json;
using System.Text.Json.Nodes;
using DashAI.ML.Components;
using Json.Schema;

namespace DashAI.ML.Tests;

public class SchemaTests
{
    // Tasks, models and metrics; dataloader schemas belong to ingestion and are only checked for validity.
    public static TheoryData<string> Components() => [.. ComponentRegistry.List(["Task", "Model", "Metric"]).Select(c => c.Name)];

    public static TheoryData<string> DataLoaders() => [.. ComponentRegistry.List(["DataLoader"]).Select(c => c.Name)];

    [Theory]
    [MemberData(nameof(DataLoaders))]
    public void DataLoaderSchemaIsValidJsonSchema(string name)
    {
        var result = MetaSchemas.Draft202012.Evaluate(Element(ComponentRegistry.Find(name)!.ParameterSchema));

        Assert.True(result.IsValid);
    }

    [Theory]
    [MemberData(nameof(Components))]
    public void ParameterSchemaIsValidDraft202012(string name)
    {
        var schema = ComponentRegistry.Find(name)!.ParameterSchema;

        var result = MetaSchemas.Draft202012.Evaluate(Element(schema), new EvaluationOptions { OutputFormat = OutputFormat.List });

        Assert.True(result.IsValid, $"{name}: {JsonSerializer.Serialize(result)}");
        Assert.False(MetaSchemas.Draft202012.Evaluate(Element(new JsonObject { ["type"] = "integer", ["minimum"] = "zero" })).IsValid);
        Assert.Equal("https://json-schema.org/draft/2020-12/schema", schema["$schema"]?.GetValue<string>());
    }

    [Theory]
    [MemberData(nameof(Components))]
    public void DefaultsPassTheirOwnSchema(string name)
    {
        var component = ComponentRegistry.Find(name)!;
        var defaults = new JsonObject();
        foreach (var (property, schema) in component.ParameterSchema["properties"]!.AsObject())
        {
            Assert.True(schema!.AsObject().ContainsKey("default"), $"{name}.{property} has no default");
            Assert.False(string.IsNullOrWhiteSpace(schema["description"]?.GetValue<string>()), $"{name}.{property} has no description");
            defaults[property] = schema["default"]?.DeepClone();
        }

        var schemaObject = JsonSchema.FromText(component.ParameterSchema.ToJsonString());
        Assert.True(schemaObject.Evaluate(Element(defaults)).IsValid);
    }

    public static TheoryData<string, string> ModelsAndTasks()
    {
        var data = new TheoryData<string, string>();
        foreach (var model in ComponentRegistry.List(["Model"]))
        {
            foreach (var task in model.CompatibleTasks)
            {
                data.Add(model.Name, task);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ModelsAndTasks))]
    public void TaskDefaultsPassTheirOwnSchema(string model, string task)
    {
        var defaults = ComponentRegistry.ValidateAndFillDefaults(model, task, null);

        var schema = JsonSchema.FromText(ComponentRegistry.Find(model)!.ParameterSchema.ToJsonString());
        Assert.True(schema.Evaluate(Element(defaults)).IsValid);
    }

    [Theory]
    [MemberData(nameof(Components))]
    public void SchemasRejectUnknownProperties(string name)
    {
        var schema = JsonSchema.FromText(ComponentRegistry.Find(name)!.ParameterSchema.ToJsonString());

        Assert.False(schema.Evaluate(Element(new JsonObject { ["no_such_parameter"] = 1 })).IsValid);
    }

    private static JsonElement Element(JsonNode node) => JsonDocument.Parse(node.ToJsonString()).RootElement.Clone();
}

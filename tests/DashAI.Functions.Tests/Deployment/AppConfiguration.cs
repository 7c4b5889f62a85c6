using System.Reflection;
using System.Text.Json;
using DashAI.Functions.Storage;
using DashAI.Functions.Tests.Infrastructure;

namespace DashAI.Functions.Tests.Deployment;

/// <summary>
/// What the app reads from configuration, written as app-setting names (<c>Section__Key</c>, the form used by
/// Bicep, environment variables and local.settings.json), and the documents that set or describe it.
/// </summary>
public static class AppConfiguration
{
    /// <summary>The identity-based form of <c>AzureWebJobsStorage</c> that StorageClients reads in Azure.</summary>
    public static readonly IReadOnlyList<string> IdentityConnectionKeys =
    [
        $"{StorageClients.ConnectionName}__credential",
        $"{StorageClients.ConnectionName}__clientId",
        $"{StorageClients.ConnectionName}__blobServiceUri",
        $"{StorageClients.ConnectionName}__queueServiceUri",
        $"{StorageClients.ConnectionName}__tableServiceUri",
    ];

    /// <summary>Settings read by the Functions host (not the worker) that a deployment must provide.</summary>
    public static readonly IReadOnlyList<string> HostOnlyKeys =
    [
        "APPLICATIONINSIGHTS_CONNECTION_STRING",
        "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
    ];

    /// <summary>Options classes: every type in the app's assemblies with a <c>public const string SectionName</c>.</summary>
    public static IReadOnlyList<(Type Type, string SectionName)> OptionsTypes() =>
        [.. new[] { typeof(StorageOptions).Assembly, typeof(DashAI.ML.InvalidInputException).Assembly }
            .SelectMany(a => a.GetTypes())
            .Select(t => (Type: t, Field: t.GetField("SectionName", BindingFlags.Public | BindingFlags.Static)))
            .Where(x => x.Field is { IsLiteral: true } && x.Field.FieldType == typeof(string))
            .Select(x => (x.Type, (string)x.Field!.GetRawConstantValue()!))
            .OrderBy(x => x.Item2, StringComparer.Ordinal)];

    /// <summary>Each bindable leaf property of an options type: its app-setting name and the property path to it.</summary>
    public static IEnumerable<(string Key, PropertyInfo[] Path)> OptionKeys(Type type, string sectionName) =>
        Leaves(type, [], 0).Select(path => (ToSettingName(sectionName) + "__" + string.Join("__", path.Select(p => p.Name)), path));

    /// <summary>Every key the app reads, with the local connection string <c>AzureWebJobsStorage</c>.</summary>
    public static IReadOnlyList<string> KeysTheAppReads() =>
        [
            StorageClients.ConnectionName,
            .. IdentityConnectionKeys,
            .. OptionsTypes().SelectMany(o => OptionKeys(o.Type, o.SectionName)).Select(k => k.Key),
        ];

    public static string ToSettingName(string configurationKey) => configurationKey.Replace(":", "__", StringComparison.Ordinal);

    public static string ToConfigurationKey(string settingName) => settingName.Replace("__", ":", StringComparison.Ordinal);

    /// <summary>infra/main.bicep compiled to ARM JSON, its modules nested in it.</summary>
    public static ArmTemplate MainTemplate() => ArmTemplate.Load(Path.Combine(RepoPaths.Root, "infra", "main.bicep"));

    /// <summary>App settings set by the deployment template (main.bicep and its modules), values as ARM holds them.</summary>
    public static IReadOnlyDictionary<string, string> BicepAppSettings() => MainTemplate().AppSettings();

    public static IEnumerable<string> BicepFiles()
    {
        var infra = Path.Combine(RepoPaths.Root, "infra");
        return Directory.EnumerateFiles(infra, "*.bicep", SearchOption.AllDirectories)
            .Where(f => !Path.GetRelativePath(infra, f).StartsWith("tools", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);
    }

    /// <summary>The <c>Values</c> of local.settings.sample.json: the documented local defaults.</summary>
    public static IReadOnlyDictionary<string, string?> SampleValues()
    {
        var path = Path.Combine(RepoPaths.Root, "local.settings.sample.json");
        using var document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions
        {
            CommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
        });
        return document.RootElement.GetProperty("Values").EnumerateObject().ToDictionary(
            p => p.Name,
            p => p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : p.Value.GetRawText(),
            StringComparer.OrdinalIgnoreCase);
    }

    private static IEnumerable<PropertyInfo[]> Leaves(Type type, PropertyInfo[] prefix, int depth)
    {
        Assert.True(depth < 5, $"Options nesting under {type.Name} is too deep (a cycle?).");
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            var path = prefix.Append(property).ToArray();
            if (IsLeaf(property.PropertyType))
            {
                if (property.SetMethod is { IsPublic: true })
                {
                    yield return path;
                }
            }
            else
            {
                foreach (var leaf in Leaves(property.PropertyType, path, depth + 1))
                {
                    yield return leaf;
                }
            }
        }
    }

    private static bool IsLeaf(Type type)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        return t.IsPrimitive || t.IsEnum || t == typeof(string) || t == typeof(decimal) || t == typeof(TimeSpan)
            || t == typeof(Uri) || t == typeof(Guid) || t == typeof(DateTime) || t == typeof(DateTimeOffset)
            || typeof(System.Collections.IEnumerable).IsAssignableFrom(t);
    }
}

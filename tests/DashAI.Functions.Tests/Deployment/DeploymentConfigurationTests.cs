using System.Text.Json;
using DashAI.Functions.Storage;
using DashAI.Functions.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace DashAI.Functions.Tests.Deployment;

/// <summary>
/// The deployment template (infra/*.bicep) and the documented local defaults (local.settings.sample.json) must
/// between them cover every setting the app reads, and the template must set nothing that nobody reads.
/// </summary>
public sealed class DeploymentConfigurationTests
{
    private static readonly string[] SecretBearingFragments =
    [
        "listKeys(", "listAccountSas(", "listServiceSas(", "AccountKey=", "SharedAccessSignature", "DefaultEndpointsProtocol",
    ];

    [Fact]
    public void AppOptionsAreFoundByReflection()
    {
        var options = AppConfiguration.OptionsTypes();

        Assert.Contains(options, o => o.Type == typeof(StorageOptions) && o.SectionName == StorageOptions.SectionName);
        Assert.All(options, o => Assert.NotEmpty(AppConfiguration.OptionKeys(o.Type, o.SectionName)));
    }

    [Fact]
    public void EveryKeyTheAppReadsIsSetByBicepOrDocumentedInTheSampleSettings()
    {
        var bicep = AppConfiguration.BicepAppSettings();
        var sample = AppConfiguration.SampleValues();

        var uncovered = AppConfiguration.KeysTheAppReads().Where(k => !bicep.ContainsKey(k) && !sample.ContainsKey(k)).ToList();

        Assert.True(uncovered.Count == 0,
            $"Neither infra/ Bicep nor local.settings.sample.json mentions: {string.Join(", ", uncovered)}. " +
            "Set it in infra/app/api.bicep if it differs per environment, else document its default in the sample.");
    }

    [Fact]
    public void BicepSetsNoAppSettingThatNeitherTheAppNorTheFunctionsHostReads()
    {
        var known = AppConfiguration.KeysTheAppReads().Concat(AppConfiguration.HostOnlyKeys).ToHashSet(StringComparer.OrdinalIgnoreCase);

        var unread = AppConfiguration.BicepAppSettings().Keys.Where(k => !known.Contains(k)).ToList();

        Assert.True(unread.Count == 0, $"infra/ Bicep sets app settings nothing reads: {string.Join(", ", unread)}.");
    }

    [Fact]
    public void BicepConnectsStorageAndTelemetryThroughTheManagedIdentityOnly()
    {
        var bicep = AppConfiguration.BicepAppSettings();

        Assert.All(AppConfiguration.IdentityConnectionKeys, k => Assert.True(bicep.ContainsKey(k), $"Bicep does not set {k}."));
        Assert.All(AppConfiguration.HostOnlyKeys, k => Assert.True(bicep.ContainsKey(k), $"Bicep does not set {k}."));
        Assert.Equal("managedidentity", bicep[$"{StorageClients.ConnectionName}__credential"]);
        Assert.False(bicep.ContainsKey(StorageClients.ConnectionName), "A storage connection string would carry the account key.");
        Assert.Contains("Authorization=AAD", bicep["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"], StringComparison.Ordinal);
        foreach (var text in AppConfiguration.BicepFiles().Select(File.ReadAllText).Append(AppConfiguration.MainTemplate().Root.ToJsonString()))
        {
            Assert.All(SecretBearingFragments, f => Assert.DoesNotContain(f, text, StringComparison.OrdinalIgnoreCase));
        }
    }

    [Fact]
    public void BicepLeavesTheStorageNamePrefixEmptyBecauseTheQueueTriggerBindsToUnprefixedNames()
    {
        var key = AppConfiguration.ToSettingName($"{StorageOptions.SectionName}:{nameof(StorageOptions.NamePrefix)}");

        Assert.False(AppConfiguration.BicepAppSettings().ContainsKey(key));
    }

    [Fact]
    public void SampleSettingsDocumentEachOptionWithItsDefaultValue()
    {
        var sample = AppConfiguration.SampleValues();
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(sample.Select(kv => KeyValuePair.Create(AppConfiguration.ToConfigurationKey(kv.Key), kv.Value)))
            .Build();

        foreach (var (type, sectionName) in AppConfiguration.OptionsTypes())
        {
            var defaults = Activator.CreateInstance(type)!;
            var documented = Activator.CreateInstance(type)!;
            configuration.GetSection(sectionName).Bind(documented);
            foreach (var (key, path) in AppConfiguration.OptionKeys(type, sectionName))
            {
                if (!sample.ContainsKey(key))
                {
                    continue; // EveryKeyTheAppReads... reports it unless Bicep sets it.
                }

                var expected = path.Aggregate((object?)defaults, (o, p) => o is null ? null : p.GetValue(o));
                var actual = path.Aggregate((object?)documented, (o, p) => o is null ? null : p.GetValue(o));
                Assert.True(Equals(expected, actual) || SameSequence(expected, actual),
                    $"local.settings.sample.json documents {key} = '{sample[key]}', but its default in {type.Name} is '{expected}'.");
            }
        }
    }

    [Fact]
    public void SampleSettingsDocumentNoDashAIKeyTheAppDoesNotRead()
    {
        var read = AppConfiguration.KeysTheAppReads().ToHashSet(StringComparer.OrdinalIgnoreCase);

        var stale = AppConfiguration.SampleValues().Keys
            .Where(k => k.StartsWith("DashAI__", StringComparison.OrdinalIgnoreCase) && !read.Contains(k))
            .ToList();

        Assert.True(stale.Count == 0, $"local.settings.sample.json documents settings no options class has: {string.Join(", ", stale)}.");
    }

    [Fact]
    public void ParametersFileGivesEveryRequiredParameterOfMainBicepAndNoOther()
    {
        var parameters = AppConfiguration.MainTemplate().Parameters();
        using var file = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "infra", "main.parameters.json")));
        var given = file.RootElement.GetProperty("parameters").EnumerateObject().Select(p => p.Name).ToList();

        Assert.Contains(parameters, p => p.Name == "environmentName");
        Assert.All(parameters.Where(p => !p.HasDefault), p => Assert.Contains(p.Name, given));
        Assert.All(given, g => Assert.Contains(parameters, p => p.Name == g));
    }

    [Fact]
    public void TrainingReadsTheInstanceMemoryThePlanIsGiven()
    {
        var key = AppConfiguration.ToSettingName("DashAI:Training:InstanceMemoryMB");
        var main = AppConfiguration.MainTemplate();
        var site = main.AllResources().Single(r => (string?)r["type"] == "Microsoft.Web/sites");
        var api = main.Root["resources"]!["api"]!;

        Assert.Contains(key, AppConfiguration.KeysTheAppReads());
        Assert.Equal("[string(parameters('instanceMemoryMB'))]", AppConfiguration.BicepAppSettings()[key]);
        Assert.Equal("[parameters('instanceMemoryMB')]", (string?)site["properties"]!["functionAppConfig"]!["scaleAndConcurrency"]!["instanceMemoryMB"]);
        Assert.Equal("[parameters('instanceMemoryMB')]", (string?)api["properties"]!["parameters"]!["instanceMemoryMB"]!["value"]);
        Assert.Contains(main.Parameters(), p => p.Name == "instanceMemoryMB" && p.HasDefault);
    }

    [Fact]
    public void BicepCreatesTheTrainingQueueAndItsPoisonQueue()
    {
        var literals = AppConfiguration.MainTemplate().StringLiterals().ToHashSet(StringComparer.Ordinal);

        Assert.Contains(StorageNames.TrainingQueue, literals);
        Assert.Contains(StorageNames.TrainingPoisonQueue, literals);
        Assert.Contains(AppConfiguration.MainTemplate().AllResources(), r => (string?)r["type"] == "Microsoft.Storage/storageAccounts/queueServices/queues");
    }

    private static bool SameSequence(object? a, object? b) =>
        a is System.Collections.IEnumerable x && b is System.Collections.IEnumerable y && a is not string
        && x.Cast<object?>().SequenceEqual(y.Cast<object?>());
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DashAI.Functions.Tests.Infrastructure;

namespace DashAI.Functions.Tests.Deployment;

/// <summary>
/// A Bicep file as Azure receives it: the ARM JSON <c>bicep build --stdout</c> compiles it to, modules included as
/// nested deployments. The compiler resolves layout, comments, quoting and nesting, so the tests read plain JSON.
/// </summary>
public sealed partial class ArmTemplate
{
    private static readonly ConcurrentDictionary<string, Lazy<ArmTemplate>> Compiled = new(StringComparer.Ordinal);

    private ArmTemplate(JsonObject root) => Root = root;

    /// <summary>The compiled template.</summary>
    public JsonObject Root { get; }

    /// <summary>The compiled template of a Bicep file (compiled once per test run).</summary>
    public static ArmTemplate Load(string bicepFile) =>
        Compiled.GetOrAdd(Path.GetFullPath(bicepFile), path => new Lazy<ArmTemplate>(() => new ArmTemplate(BicepCli.Build(path)))).Value;

    /// <summary>Compiles Bicep text (written to a temporary file; a module path in it is resolved from there).</summary>
    public static ArmTemplate FromBicep(string text)
    {
        var directory = Directory.CreateTempSubdirectory("dashai-bicep-");
        try
        {
            var file = Path.Combine(directory.FullName, "main.bicep");
            File.WriteAllText(file, text);
            return new ArmTemplate(BicepCli.Build(file));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    /// <summary>This template and every template nested in it (a module becomes a deployment holding its template).</summary>
    public IEnumerable<JsonObject> Templates()
    {
        var pending = new Stack<JsonObject>([Root]);
        while (pending.TryPop(out var template))
        {
            yield return template;
            foreach (var resource in Resources(template))
            {
                if ((string?)resource["type"] == "Microsoft.Resources/deployments" && resource["properties"]?["template"] is JsonObject nested)
                {
                    pending.Push(nested);
                }
            }
        }
    }

    /// <summary>Every resource of every template, with its type.</summary>
    public IEnumerable<JsonObject> AllResources() => Templates().SelectMany(Resources);

    /// <summary>
    /// The app settings the template sets, name to value as ARM holds it: a literal as itself, anything computed as its
    /// ARM expression (<c>[reference('identity').clientId]</c>). Read from <c>Microsoft.Web/sites/config</c> resources named
    /// <c>appsettings</c> and from <c>siteConfig.appSettings</c> of sites. Settings that are not a literal object (a
    /// <c>union(...)</c>, say) are reported rather than guessed.
    /// </summary>
    public IReadOnlyDictionary<string, string> AppSettings()
    {
        var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        void Add(string name, JsonNode? value) =>
            Assert.True(settings.TryAdd(name, Show(value)), $"App setting '{name}' is set in more than one place.");

        foreach (var resource in AllResources())
        {
            var type = (string?)resource["type"];
            if (type == "Microsoft.Web/sites/config" && IsAppSettingsName((string?)resource["name"]))
            {
                if (resource["properties"] is not JsonObject properties)
                {
                    throw new InvalidOperationException(
                        $"The appsettings resource sets its properties with an expression ({resource["properties"]?.ToJsonString()}), not a literal object: the tests cannot tell which settings it sets.");
                }

                foreach (var (name, value) in properties)
                {
                    Add(name, value);
                }
            }
            else if (type == "Microsoft.Web/sites" && resource["properties"]?["siteConfig"]?["appSettings"] is { } list)
            {
                if (list is not JsonArray array)
                {
                    throw new InvalidOperationException($"siteConfig.appSettings is an expression ({list.ToJsonString()}), not a literal array.");
                }

                foreach (var entry in array)
                {
                    var name = (string?)entry?["name"] ?? throw new InvalidOperationException($"An app setting without a literal name: {entry?.ToJsonString()}.");
                    Add(name, entry!["value"]);
                }
            }
        }

        return settings;
    }

    /// <summary>The template's parameters, in order, with whether each has a default (a deployment may omit those).</summary>
    public IReadOnlyList<(string Name, bool HasDefault)> Parameters() =>
        [.. (Root["parameters"] as JsonObject ?? []).Select(p => (p.Key, p.Value is JsonObject o && o.ContainsKey("defaultValue")))];

    /// <summary>Every string the templates hold: JSON string values and the quoted literals inside ARM expressions.</summary>
    public IEnumerable<string> StringLiterals()
    {
        var pending = new Stack<JsonNode?>([Root]);
        while (pending.TryPop(out var node))
        {
            switch (node)
            {
                case JsonObject o:
                    foreach (var (_, child) in o)
                    {
                        pending.Push(child);
                    }

                    break;
                case JsonArray a:
                    foreach (var child in a)
                    {
                        pending.Push(child);
                    }

                    break;
                case JsonValue v when v.TryGetValue<string>(out var text):
                    if (text.StartsWith('[') && !text.StartsWith("[[", StringComparison.Ordinal))
                    {
                        foreach (Match literal in ExpressionLiteral().Matches(text))
                        {
                            yield return literal.Groups[1].Value.Replace("''", "'", StringComparison.Ordinal);
                        }
                    }
                    else
                    {
                        yield return text;
                    }

                    break;
            }
        }
    }

    private static IEnumerable<JsonObject> Resources(JsonObject template) => template["resources"] switch
    {
        JsonArray list => list.OfType<JsonObject>(),
        JsonObject symbolic => symbolic.Select(r => r.Value).OfType<JsonObject>(), // languageVersion 2.0: keyed by symbolic name
        _ => [],
    };

    // 'appsettings', or the last segment of a parent/child name: 'app/appsettings' or [format('{0}/{1}', ..., 'appsettings')].
    private static bool IsAppSettingsName(string? name) =>
        name is not null && (name == "appsettings" || name.EndsWith("/appsettings", StringComparison.Ordinal) || name.EndsWith("'appsettings')]", StringComparison.Ordinal));

    private static string Show(JsonNode? value) => value switch
    {
        JsonValue v when v.TryGetValue<string>(out var text) => text,
        null => "null",
        _ => value.ToJsonString(),
    };

    [GeneratedRegex("'((?:[^']|'')*)'")]
    private static partial Regex ExpressionLiteral();

    /// <summary>The Bicep CLI CI uses (infra/tools/bicep-cli.csproj), restored from NuGet on first use.</summary>
    private static class BicepCli
    {
        private static readonly Lazy<string> Executable = new(Locate, LazyThreadSafetyMode.ExecutionAndPublication);

        public static JsonObject Build(string bicepFile)
        {
            var (exitCode, output, errors) = Run(Executable.Value, ["build", "--stdout", bicepFile], TimeSpan.FromMinutes(2));
            Assert.True(exitCode == 0, $"bicep build {bicepFile} failed ({exitCode}):\n{errors}");
            return JsonNode.Parse(output)!.AsObject();
        }

        private static string Locate()
        {
            var project = Path.Combine(RepoPaths.Root, "infra", "tools", "bicep-cli.csproj");
            var version = Regex.Match(File.ReadAllText(project), "<BicepVersion>(.+?)</BicepVersion>").Groups[1].Value;
            var runtime = RuntimeInformation.OSArchitecture == Architecture.Arm64 ? "linux-arm64" : "linux-x64";
            var executable = Path.Combine(RepoPaths.Root, "infra", "tools", ".packages", $"azure.bicep.commandline.{runtime}", version, "tools", "bicep");
            if (!File.Exists(executable))
            {
                var (exitCode, output, errors) = Run("dotnet", ["restore", project, $"-p:BicepRuntime={runtime}", "--nologo", "-v", "quiet"], TimeSpan.FromMinutes(5));
                Assert.True(exitCode == 0 && File.Exists(executable), $"Restoring the Bicep CLI {version} ({runtime}) failed ({exitCode}):\n{output}\n{errors}");
            }

            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(executable, File.GetUnixFileMode(executable) | UnixFileMode.UserExecute);
            }

            return executable;
        }

        private static (int ExitCode, string Output, string Errors) Run(string fileName, string[] arguments, TimeSpan timeout)
        {
            var start = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }

            start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            start.Environment["DOTNET_NOLOGO"] = "1";
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout))
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail($"{fileName} {string.Join(' ', arguments)} did not finish within {timeout}.");
            }

            return (process.ExitCode, output.GetAwaiter().GetResult(), errors.GetAwaiter().GetResult());
        }
    }
}

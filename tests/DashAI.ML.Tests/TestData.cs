using System.Collections.Concurrent;
using System.Text;
using DashAI.ML.Data;
using DashAI.ML.Training;

namespace DashAI.ML.Tests;

/// <summary>Train/validation/test split files of one dataset and the schema of its columns.</summary>
public sealed record SplitFiles(DatasetSchema Schema, string TrainPath, string ValidationPath, string TestPath)
{
    public TrainingRequest Request(string task, string model, System.Text.Json.Nodes.JsonObject? parameters = null, int seed = 1) =>
        new(task, model, parameters ?? [], Schema, TrainPath, ValidationPath, TestPath, seed);
}

/// <summary>
/// Splits the reference datasets of samples/ into canonical CSV files, stratified 60/20/20
/// after a seeded shuffle, once per test process. The schema comes from a crude inference
/// (ingestion owns the real one).
/// </summary>
public static class TestData
{
    private static readonly string Root = Path.Combine(Path.GetTempPath(), $"dashai-ml-tests-{Environment.ProcessId}");
    private static readonly ConcurrentDictionary<string, Lazy<SplitFiles>> Cache = new();

    public static SplitFiles Iris => Get("iris", "species");

    public static SplitFiles Wine => Get("wine", "cultivar");

    public static SplitFiles BreastCancer => Get("breast_cancer", "diagnosis");

    public static SplitFiles Digits => Get("digits", "digit");

    public static SplitFiles Diabetes => Get("diabetes", "progression");

    public static SplitFiles PackageSections => Get("package_sections", "section");

    public static SplitFiles Get(string dataset, string label) =>
        Cache.GetOrAdd(dataset, _ => new Lazy<SplitFiles>(() => Split(dataset, label))).Value;

    /// <summary>Writes rows (header first) as canonical CSV to a new file under the test directory.</summary>
    public static string WriteCsv(string name, IEnumerable<IReadOnlyList<string>> rows)
    {
        Directory.CreateDirectory(Root);
        var path = Path.Combine(Root, $"{name}-{Guid.NewGuid():N}.csv");
        var text = new StringBuilder();
        foreach (var row in rows)
        {
            text.AppendJoin(',', row.Select(Quote)).Append('\n');
        }

        File.WriteAllText(path, text.ToString(), new UTF8Encoding(false));
        return path;
    }

    private static SplitFiles Split(string dataset, string label)
    {
        var rows = SimpleSchemaInference.ReadCsv(File.ReadAllText(RepoPaths.Sample(dataset + ".csv")));
        var header = rows[0];
        var labelIndex = header.IndexOf(label);
        var random = new Random(42);
        var data = rows.Skip(1).Where(r => r.Count == header.Count).OrderBy(_ => random.Next()).ToList();
        var numericLabel = data.All(r => double.TryParse(r[labelIndex], System.Globalization.CultureInfo.InvariantCulture, out _))
            && data.Select(r => r[labelIndex]).Distinct().Count() > 20;
        var splits = new[] { new List<IReadOnlyList<string>> { header }, [header], [header] };
        var groups = numericLabel ? [data] : data.GroupBy(r => r[labelIndex]).Select(g => g.ToList()).ToList();
        foreach (var group in groups)
        {
            for (var i = 0; i < group.Count; i++)
            {
                // Every class reaches the training split first.
                splits[(i % 5) switch { 0 or 1 or 2 => 0, 3 => 1, _ => 2 }].Add(group[i]);
            }
        }

        var paths = splits.Select((s, i) => WriteCsv($"{dataset}-{SplitNames.All[i]}", s)).ToArray();
        var schema = SimpleSchemaInference.Infer(paths[0], label);
        return new SplitFiles(schema, paths[0], paths[1], paths[2]);
    }

    private static string Quote(string field) =>
        field.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : field;
}

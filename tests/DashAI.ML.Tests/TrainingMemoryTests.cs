using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using DashAI.ML.Models;
using DashAI.ML.Training;

namespace DashAI.ML.Tests;

public class TrainingMemoryTests
{
    /// <summary>The 1M-row synthetic set's training split: 20 numbers and 2 categories (8 and 12 values) one-hot, 3 classes.</summary>
    private static readonly TrainingSize BenchmarkSet = new(799_427, 40, 22, 2, 3);

    private static ModelDefinition Model(string name) => ModelCatalog.Find(name)!;

    [Fact]
    public void TheEstimateGrowsWithTheRowsAndWithWhatTheTrainerCopies()
    {
        var small = BenchmarkSet with { Rows = 100_000 };
        var large = BenchmarkSet with { Rows = 1_000_000 };

        foreach (var family in Enum.GetValues<ModelFamily>())
        {
            Assert.True(TrainingMemory.EstimateBytes(family, large) > TrainingMemory.EstimateBytes(family, small));
            Assert.True(TrainingMemory.EstimateBytes(family, small) > TrainingMemory.BaseBytes);
        }

        // FastForest's many leaves cost histograms whatever the rows.
        Assert.InRange(TrainingMemory.EstimateBytes(ModelFamily.Trees, small, leaves: 2048) - TrainingMemory.EstimateBytes(ModelFamily.Trees, small, leaves: 31), 100L << 20, 200L << 20);
        // L-BFGS copies every feature vector; the streaming linear trainers do not.
        Assert.True(TrainingMemory.EstimateBytes(ModelFamily.Lbfgs, large) > TrainingMemory.EstimateBytes(ModelFamily.StreamingLinear, large));
        // Text: a few hundred n-gram values a row out of thousands of slots is held sparse, not as thousands of floats.
        var text = new TrainingSize(10_000, 20_000, 300, 0, 5);
        Assert.Equal(8 * 300, TrainingMemory.FeatureRowBytes(text));
        Assert.Equal(4 * 40, TrainingMemory.FeatureRowBytes(BenchmarkSet));
    }

    /// <summary>Peak resident memory measured with the benchmark on the 1M-row set (tests/DashAI.Benchmarks/RESULTS.md).</summary>
    [Theory]
    [InlineData("LogisticRegression", 367)]
    [InlineData("LightGbmClassifier", 292)]
    [InlineData("SdcaMaximumEntropy", 201)]
    [InlineData("LinearSvm", 278)]
    [InlineData("FastTreeClassifier", 816)]
    [InlineData("FastForestClassifier", 407, 200_000)]
    [InlineData("FastForestClassifier", 338, 100_000)]
    public void TheEstimateForTheBenchmarkSetIsAtLeastItsMeasuredPeakAndAtMost60PercentMore(string model, double measuredMegabytes, long rows = 799_427)
    {
        var parameters = Components.ComponentRegistry.ValidateAndFillDefaults(model, "TabularClassificationTask", null);
        var estimate = TrainingMemory.EstimateBytes(Model(model).Family, BenchmarkSet with { Rows = rows }, TrainingMemory.Leaves(parameters)) / 1048576.0;

        Assert.InRange(estimate, measuredMegabytes, measuredMegabytes * 1.6);
    }

    [Fact]
    public void TheLeavesAreReadFromStoredOrDefaultedParameters()
    {
        Assert.Equal(2048, TrainingMemory.Leaves(Components.ComponentRegistry.ValidateAndFillDefaults("FastForestClassifier", "TabularClassificationTask", null)));
        Assert.Equal(64, TrainingMemory.Leaves((JsonObject)JsonNode.Parse("""{"number_of_leaves": 64}""")!));
        Assert.Equal(0, TrainingMemory.Leaves([]));
    }

    [Fact]
    public void ARunThatCannotFitIsRefusedNamingTheEstimateTheInstanceAndTheWayOut()
    {
        var error = Assert.Throws<InvalidInputException>(() => TrainingMemory.EnsureFits(Model("LogisticRegression"), [], BenchmarkSet with { Rows = 10_000_000 }, 2048L << 20));

        Assert.Matches(@"^Training LogisticRegression on 10,000,000 rows × 40 features needs about [\d,]+ MB of memory, but the instance has 2,048 MB \(1,536 MB usable for training\)\.", error.Message);
        Assert.Matches(@"Train on a sample of at most about [\d,]+ rows", error.Message);
        Assert.Contains("instanceMemoryMB in infra/", error.Message, StringComparison.Ordinal);
        TrainingMemory.EnsureFits(Model("LogisticRegression"), [], BenchmarkSet, 2048L << 20);
    }

    [Fact]
    public void TheRowsARefusalSuggestsFitTheInstance()
    {
        var error = Assert.Throws<InvalidInputException>(() => TrainingMemory.EnsureFits(Model("LightGbmClassifier"), [], BenchmarkSet with { Rows = 20_000_000 }, 2048L << 20));
        var rows = long.Parse(System.Text.RegularExpressions.Regex.Match(error.Message, @"at most about ([\d,]+) rows").Groups[1].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);

        TrainingMemory.EnsureFits(Model("LightGbmClassifier"), [], BenchmarkSet with { Rows = rows }, 2048L << 20);
        Assert.Throws<InvalidInputException>(() => TrainingMemory.EnsureFits(Model("LightGbmClassifier"), [], BenchmarkSet with { Rows = (rows * 11) / 10 }, 2048L << 20));
    }

    [Fact]
    public void TrainingRefusesBeforeFittingWhenTheInstanceIsTooSmall()
    {
        var stages = new List<TrainingStage>();
        var request = TestData.Iris.Request("TabularClassificationTask", "LogisticRegression") with { InstanceMemoryBytes = 100L << 20 };

        var error = Assert.Throws<InvalidInputException>(() => Trainer.Train(request, new TrainerTests.SyncProgress(stages), CancellationToken.None));

        Assert.Contains("the instance has 100 MB (75 MB usable for training)", error.Message, StringComparison.Ordinal);
        Assert.Equal([TrainingStage.Loading], stages);
        Assert.NotNull(Trainer.Train(request with { InstanceMemoryBytes = 2048L << 20 }, null, CancellationToken.None));
    }

    /// <summary>
    /// 100,000 training rows (12 numbers, 2 categories, 3 classes) under a 128 MB GC heap cap in a child
    /// process, as an instance's cap would hold it: the fit succeeds, learns, and its peak stays within the estimate.
    /// </summary>
    [Theory]
    [InlineData("LogisticRegression")]
    [InlineData("LightGbmClassifier")]
    public async Task TrainingUnderASmallHeapCapSucceedsWithinItsEstimate(string model)
    {
        var train = Generate("capped-train", 100_000, seed: 1);
        var test = Generate("capped-test", 10_000, seed: 2);
        var benchmark = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "DashAI.Benchmarks", "bin",
            new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name, "net10.0", "DashAI.Benchmarks.dll"));
        Assert.True(File.Exists(benchmark), $"{benchmark} is not built.");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { benchmark, "train", "--train", train, "--test", test, "--label", "label", "--task", "TabularClassificationTask", "--model", model })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DOTNET_GCHeapHardLimit"] = "0x8000000"; // 128 MB
        using var child = Process.Start(start)!;
        var error = child.StandardError.ReadToEndAsync();
        var output = await child.StandardOutput.ReadToEndAsync();
        await child.WaitForExitAsync();

        Assert.True(child.ExitCode == 0, $"exit {child.ExitCode}: {await error}");
        var figures = JsonNode.Parse(output)!;
        Assert.Equal(128, figures["gc"]!["available_mb"]!.GetValue<double>(), 0);
        Assert.True(figures["metrics"]!["test"]!["accuracy"]!.GetValue<double>() > 0.8, output);
        var peak = figures["peak_memory_mb"]!.GetValue<double>();
        Assert.InRange(peak, 1, figures["estimate_mb"]!.GetValue<double>());
    }

    /// <summary>The class follows the first number (thirds of its range); the rest is noise.</summary>
    private static string Generate(string name, int rows, int seed)
    {
        var random = new Random(seed);
        string[] colours = ["red", "green", "blue", "black"];
        var path = Path.Combine(Path.GetTempPath(), $"dashai-ml-tests-{Environment.ProcessId}", $"{name}-{Guid.NewGuid():N}.csv");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false));
        writer.Write(string.Join(',', Enumerable.Range(0, 12).Select(i => $"n{i}")) + ",colour,city,label\n");
        var line = new StringBuilder();
        for (var r = 0; r < rows; r++)
        {
            line.Clear();
            var first = random.NextDouble();
            line.Append(first.ToString("0.0000", CultureInfo.InvariantCulture));
            for (var i = 1; i < 12; i++)
            {
                line.Append(',').Append(i < 6 ? random.Next(0, 1000).ToString(CultureInfo.InvariantCulture) : random.NextDouble().ToString("0.0000", CultureInfo.InvariantCulture));
            }

            line.Append(',').Append(colours[random.Next(colours.Length)]).Append(",city").Append(random.Next(30).ToString(CultureInfo.InvariantCulture))
                .Append(',').Append(first < 1 / 3.0 ? "low" : first < 2 / 3.0 ? "mid" : "high").Append('\n');
            writer.Write(line);
        }

        return path;
    }
}

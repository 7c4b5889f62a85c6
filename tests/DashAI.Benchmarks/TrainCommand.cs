using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using System.Text.Json.Nodes;
using DashAI.ML;
using DashAI.ML.Components;
using DashAI.ML.Data;
using DashAI.ML.Models;
using DashAI.ML.Training;

namespace DashAI.Benchmarks;

/// <summary>
/// <c>train --train PATH --test PATH --label COLUMN --task TASK --model NAME [--params JSON] [--seed N] [--fits N] [--heap-limit-mb M] [--warm-up true|false]</c>:
/// fits with the product pipeline and prints one JSON line of figures. Under 50,000 training rows
/// fit_seconds is the median of 3 fits after a warm-up fit; from 50,000 rows it is a single fit.
/// prepare_seconds is the streamed read that fits the label mapping and the encoding and fills the
/// one in-memory copy of the encoded training rows; it happens before any timed fit. With
/// --heap-limit-mb the command runs itself again in a child process whose GC heap is capped
/// (DOTNET_GCHeapHardLimit), as a Flex Consumption instance caps it at 75 % of its memory.
/// fit_cpu_seconds is the processor time the
/// process spent during the same fits (every thread: trainers, JIT, GC), which a busy machine
/// distorts far less than wall time.
/// </summary>
internal static class TrainCommand
{
    private const int SingleFitRows = 50_000;

    public static int Run(string[] args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            options[args[i].TrimStart('-')] = args[i + 1];
        }

        string[] required = ["train", "test", "label", "task", "model"];
        var missing = required.Where(r => !options.ContainsKey(r)).ToList();
        if (missing.Count > 0 || args.Length % 2 != 0)
        {
            Console.Error.WriteLine("usage: train --train PATH --test PATH --label COLUMN --task TASK --model NAME [--params JSON] [--seed N] [--fits N] [--heap-limit-mb M] [--warm-up true|false]");
            return 2;
        }

        if (options.TryGetValue("heap-limit-mb", out var limit))
        {
            return RunCapped(args, long.Parse(limit, CultureInfo.InvariantCulture));
        }

        try
        {
            Console.WriteLine(Measure(options).ToJsonString());
            return 0;
        }
        catch (InvalidInputException exception)
        {
            Console.Error.WriteLine($"invalid input: {string.Join("; ", exception.Errors)}");
            return 1;
        }
    }

    private static int RunCapped(string[] args, long megabytes)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath ?? "dotnet") { UseShellExecute = false };
        var self = typeof(TrainCommand).Assembly.Location;
        if (!Path.GetFileNameWithoutExtension(start.FileName).Equals("DashAI.Benchmarks", StringComparison.OrdinalIgnoreCase))
        {
            start.ArgumentList.Add(self);
        }

        start.ArgumentList.Add("train");
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            if (args[i].TrimStart('-') != "heap-limit-mb")
            {
                start.ArgumentList.Add(args[i]);
                start.ArgumentList.Add(args[i + 1]);
            }
        }

        start.Environment["DOTNET_GCHeapHardLimit"] = "0x" + (megabytes * 1024 * 1024).ToString("X", CultureInfo.InvariantCulture);
        using var child = Process.Start(start) ?? throw new InvalidOperationException("The capped benchmark process did not start.");
        child.WaitForExit();
        return child.ExitCode;
    }

    private static JsonObject Measure(Dictionary<string, string> options)
    {
        var seed = options.TryGetValue("seed", out var seedText) ? int.Parse(seedText, CultureInfo.InvariantCulture) : 0;
        var given = options.TryGetValue("params", out var json) ? JsonNode.Parse(json) as JsonObject : null;
        var schema = SimpleSchemaInference.Infer(options["train"], options["label"]);
        var parameters = ComponentRegistry.ValidateAndFillDefaults(options["model"], options["task"], given);
        var task = ComponentRegistry.ValidateExperiment(options["task"], schema);
        var model = ModelCatalog.Find(options["model"])!;
        // The schema inference is the benchmark's, not the product's (ingestion stores the schema): start clean.
        GC.Collect();

        if (options.TryGetValue("warm-up", out var warmUp) && warmUp == "true")
        {
            // What the worker does when it starts (DashAI:Training:WarmUp), for this model: the fits below then
            // measure an instance that has started, not a process compiling the training code for the first time.
            var warmUpDirectory = Directory.CreateTempSubdirectory("dashai-warm-up-").FullName;
            TrainingWarmUp.Run(warmUpDirectory, [options["model"]], CancellationToken.None);
            Directory.Delete(warmUpDirectory, recursive: true);
        }

        var session = new TrainingSession(task, model, parameters, schema, seed);
        var prepareWatch = Stopwatch.StartNew();
        var (encoded, size) = session.EncodeTrainingData(session.Load(options["train"]));
        var train = session.CacheTrainingData(encoded);
        var prepareSeconds = prepareWatch.Elapsed.TotalSeconds;
        var rawTest = session.Load(options["test"]);

        // --fits N overrides the rule: N fits, the first (JIT-compiling one) dropped when N > 1.
        var fits = options.TryGetValue("fits", out var fitsText) ? Math.Max(1, int.Parse(fitsText, CultureInfo.InvariantCulture)) : size.Rows < SingleFitRows ? 4 : 1;
        var times = new List<double>();
        var cpuTimes = new List<double>();
        Microsoft.ML.ITransformer? fitted = null;
        using var process = Process.GetCurrentProcess();
        for (var i = 0; i < fits; i++)
        {
            process.Refresh();
            var cpuBefore = process.TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            fitted = session.Fit(train);
            times.Add(watch.Elapsed.TotalSeconds);
            process.Refresh();
            cpuTimes.Add((process.TotalProcessorTime - cpuBefore).TotalSeconds);
        }

        var timed = fits == 1 ? times : times.Skip(1).Order().ToList();
        var cpuTimed = fits == 1 ? cpuTimes : cpuTimes.Skip(1).Order().ToList();
        train = null;
        var predictWatch = Stopwatch.StartNew();
        var evaluation = session.Evaluate(fitted!, rawTest, SplitNames.Test, CancellationToken.None);
        var predictSeconds = predictWatch.Elapsed.TotalSeconds;

        var metrics = new JsonObject();
        foreach (var (name, value) in evaluation.Metrics)
        {
            metrics[name] = Math.Round(value, 6);
        }

        process.Refresh();
        var gc = GC.GetGCMemoryInfo();
        return new JsonObject
        {
            ["model"] = model.Name,
            ["rows_train"] = size.Rows,
            ["rows_test"] = evaluation.Rows,
            ["features"] = size.FeatureCount,
            ["prepare_seconds"] = Math.Round(prepareSeconds, 4),
            ["fit_seconds"] = Math.Round(timed[timed.Count / 2], 4),
            ["fit_cpu_seconds"] = Math.Round(cpuTimed[cpuTimed.Count / 2], 4),
            ["predict_seconds"] = Math.Round(predictSeconds, 4),
            ["peak_memory_mb"] = Math.Round(process.PeakWorkingSet64 / 1048576.0, 1),
            ["estimate_mb"] = Math.Round(TrainingMemory.EstimateBytes(model.Family, size, TrainingMemory.Leaves(parameters)) / 1048576.0, 1),
            ["gc"] = new JsonObject
            {
                ["server"] = GCSettings.IsServerGC,
                ["concurrent"] = GCSettings.LatencyMode != GCLatencyMode.Batch,
                ["available_mb"] = Math.Round(gc.TotalAvailableMemoryBytes / 1048576.0, 1),
            },
            ["metrics"] = new JsonObject { [SplitNames.Test] = metrics },
        };
    }
}

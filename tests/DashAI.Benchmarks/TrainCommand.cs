using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using DashAI.ML;
using DashAI.ML.Components;
using DashAI.ML.Data;
using DashAI.ML.Models;
using DashAI.ML.Training;

namespace DashAI.Benchmarks;

/// <summary>
/// <c>train --train PATH --test PATH --label COLUMN --task TASK --model NAME [--params JSON] [--seed N]</c>:
/// fits with the product pipeline and prints one JSON line of figures. Under 50,000 training rows
/// fit_seconds is the median of 3 fits after a warm-up fit; from 50,000 rows it is a single fit.
/// Loading and parsing the CSV happen before any timed fit. fit_cpu_seconds is the processor time the
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
            Console.Error.WriteLine("usage: train --train PATH --test PATH --label COLUMN --task TASK --model NAME [--params JSON] [--seed N]");
            return 2;
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

    private static JsonObject Measure(Dictionary<string, string> options)
    {
        var seed = options.TryGetValue("seed", out var seedText) ? int.Parse(seedText, CultureInfo.InvariantCulture) : 0;
        var given = options.TryGetValue("params", out var json) ? JsonNode.Parse(json) as JsonObject : null;
        var schema = SimpleSchemaInference.Infer(options["train"], options["label"]);
        var parameters = ComponentRegistry.ValidateAndFillDefaults(options["model"], options["task"], given);
        var task = ComponentRegistry.ValidateExperiment(options["task"], schema);
        var model = ModelCatalog.Find(options["model"])!;

        var session = new TrainingSession(task, model, parameters, schema, seed);
        var train = session.PrepareTrainingData(session.Load(options["train"]));
        var rawTest = session.Load(options["test"]);
        var trainRows = TrainingSession.Count(train);
        var testRows = TrainingSession.Count(rawTest);

        var fits = trainRows < SingleFitRows ? 4 : 1;
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
        var predictWatch = Stopwatch.StartNew();
        var evaluation = session.Evaluate(fitted!, rawTest, SplitNames.Test, CancellationToken.None);
        var predictSeconds = predictWatch.Elapsed.TotalSeconds;

        var metrics = new JsonObject();
        foreach (var (name, value) in evaluation.Metrics)
        {
            metrics[name] = Math.Round(value, 6);
        }

        process.Refresh();
        return new JsonObject
        {
            ["model"] = model.Name,
            ["rows_train"] = trainRows,
            ["rows_test"] = testRows,
            ["fit_seconds"] = Math.Round(timed[timed.Count / 2], 4),
            ["fit_cpu_seconds"] = Math.Round(cpuTimed[cpuTimed.Count / 2], 4),
            ["predict_seconds"] = Math.Round(predictSeconds, 4),
            ["peak_memory_mb"] = Math.Round(process.PeakWorkingSet64 / 1048576.0, 1),
            ["metrics"] = new JsonObject { [SplitNames.Test] = metrics },
        };
    }
}

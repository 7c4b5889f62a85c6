using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using DashAI.ML;
using DashAI.ML.Components;
using DashAI.ML.Data;
using DashAI.ML.Explainers;
using DashAI.ML.Metrics;
using DashAI.ML.Training;

namespace DashAI.Benchmarks;

/// <summary>
/// <c>explain --train PATH --test PATH --label COLUMN --task TASK --model NAME --explainer pfi [--repeats N]
/// [--max-samples N] [--seed N] [--scoring METRIC] [--warm-up false]</c>: fits the model with the product pipeline
/// (untimed), saves and reloads it as an explainer job does, warms up (an importance on 500 rows with one repeat,
/// untimed, unless <c>--warm-up false</c>: a worker that has explained before runs the scoring loops as optimized
/// code), then runs permutation feature importance on the test file and
/// prints one JSON line: <c>seconds</c> is the importance alone (drawing the sample from the test file and scoring
/// every shuffle), <c>scoring_seconds</c> the scoring of the shuffles without the read, and <c>importances</c>
/// the mean importance of every input column, most important first.
/// </summary>
internal static class ExplainCommand
{
    private const string Usage =
        "usage: explain --train PATH --test PATH --label COLUMN --task TASK --model NAME --explainer pfi [--repeats N] [--max-samples N] [--seed N] [--scoring METRIC] [--warm-up false]";

    public static int Run(string[] args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            options[args[i].TrimStart('-')] = args[i + 1];
        }

        string[] required = ["train", "test", "label", "task", "model", "explainer"];
        if (required.Any(r => !options.ContainsKey(r)) || args.Length % 2 != 0 || options["explainer"] != "pfi")
        {
            Console.Error.WriteLine(Usage);
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
        int Option(string name, int fallback) => options.TryGetValue(name, out var text) ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;
        var seed = Option("seed", 0);
        var repeats = Option("repeats", 5);
        var maxSamples = Option("max-samples", 10_000);
        var schema = SimpleSchemaInference.Infer(options["train"], options["label"]);
        var task = ComponentRegistry.ValidateExperiment(options["task"], schema);
        var scoring = options.TryGetValue("scoring", out var given) ? given : ExplainerCatalog.MainMetric(task.Kind);

        var trainWatch = Stopwatch.StartNew();
        var trained = Trainer.Train(
            new TrainingRequest(options["task"], options["model"], [], schema, options["train"], options["test"], options["test"], seed),
            null,
            CancellationToken.None);
        var trainSeconds = trainWatch.Elapsed.TotalSeconds;
        var modelPath = Path.Combine(Path.GetTempPath(), $"dashai-explain-{Environment.ProcessId}.zip");
        try
        {
            using (var file = File.Create(modelPath))
            {
                trained.SaveModel(file);
            }

            var request = new ExplainRequest(
                ExplainerCatalog.PermutationFeatureImportance,
                options["task"],
                options["model"],
                [],
                schema,
                ExplainRequest.ClassLabelsFrom(trained.Artifacts["class_labels"] as JsonArray),
                modelPath,
                options["train"],
                options["test"],
                options["test"]);
            var context = ExplainContext.Load(request);
            var metric = MetricCatalog.Find(scoring) ?? throw new InvalidInputException($"Unknown metric '{scoring}'.");

            if (!options.TryGetValue("warm-up", out var warmUp) || warmUp != "false")
            {
                // A worker that has explained before runs the scoring loops as optimized code: warm up on a few rows first.
                var few = context.Sample(options["test"], Math.Min(maxSamples, 500), seed + 1, labelled: true, CancellationToken.None);
                PermutationImportance.Compute(context, few, SplitNames.Test, metric, 1, seed, null, CancellationToken.None);
            }

            using var process = Process.GetCurrentProcess();
            var cpuBefore = process.TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            var table = context.Sample(options["test"], maxSamples, seed, labelled: true, CancellationToken.None);
            var scoringWatch = Stopwatch.StartNew();
            var result = PermutationImportance.Compute(context, table, SplitNames.Test, metric, repeats, seed, null, CancellationToken.None);
            var seconds = watch.Elapsed.TotalSeconds;
            var scoringSeconds = scoringWatch.Elapsed.TotalSeconds;
            process.Refresh();
            var cpuSeconds = (process.TotalProcessorTime - cpuBefore).TotalSeconds;

            var importances = new JsonObject();
            for (var i = 0; i < result.Features.Count; i++)
            {
                importances[result.Features[i]] = Math.Round(result.Mean[i], 6);
            }

            return new JsonObject
            {
                ["model"] = options["model"],
                ["seconds"] = Math.Round(seconds, 4),
                ["scoring_seconds"] = Math.Round(scoringSeconds, 4),
                ["cpu_seconds"] = Math.Round(cpuSeconds, 4),
                ["train_seconds"] = Math.Round(trainSeconds, 4),
                ["warm_up"] = !options.TryGetValue("warm-up", out var noWarmUp) || noWarmUp != "false",
                ["rows"] = result.Rows,
                ["repeats"] = repeats,
                ["scoring"] = metric.Name,
                ["baseline"] = Math.Round(result.BaselineScore, 6),
                ["importances"] = importances,
            };
        }
        finally
        {
            File.Delete(modelPath);
        }
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using DashAI.ML;
using DashAI.ML.Data;
using DashAI.ML.Optimization;
using DashAI.ML.Training;

namespace DashAI.Benchmarks;

/// <summary>
/// <c>hpo --train PATH --validation PATH --test PATH --label COLUMN --task TASK --model NAME --trials N
/// [--sampler TPE|Random] [--seed N] [--space JSON] [--pruning asha|none]</c>: a hyperparameter search in process with
/// the app's sampler, successive halving and trial code (<see cref="SequentialSearch"/>), trials one after another,
/// then the refit of the best parameters. Prints one JSON line: the task's main metric (accuracy or R²) as the
/// best validation value and on test, the wall time of the whole search (reading the splits, every trial and
/// the refit) and the best parameters. Without --space, boosted models search the issue's space (learning rate
/// 0.01–0.3 log, leaves 8–128, rows per leaf 5–100, L2 1e-6–10 log, rounds 50–500).
/// </summary>
internal static class HpoCommand
{
    private const string Usage =
        "usage: hpo --train PATH --validation PATH --test PATH --label COLUMN --task TASK --model NAME --trials N " +
        "[--sampler TPE|Random] [--seed N] [--space JSON] [--pruning asha|none]";

    public static async Task<int> RunAsync(string[] args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            options[args[i].TrimStart('-')] = args[i + 1];
        }

        string[] required = ["train", "validation", "test", "label", "task", "model", "trials"];
        if (required.Any(r => !options.ContainsKey(r)) || args.Length % 2 != 0)
        {
            Console.Error.WriteLine(Usage);
            return 2;
        }

        try
        {
            Console.WriteLine((await MeasureAsync(options)).ToJsonString());
            return 0;
        }
        catch (InvalidInputException exception)
        {
            Console.Error.WriteLine($"invalid input: {string.Join("; ", exception.Errors)}");
            return 1;
        }
    }

    /// <summary>The issue's space for boosted models, in the model's own parameter names.</summary>
    public static JsonObject DefaultSpace(string model)
    {
        var rounds = model.StartsWith("FastTree", StringComparison.Ordinal) ? "number_of_trees" : "number_of_iterations";
        return new JsonObject
        {
            ["learning_rate"] = Range(0.01, 0.3),
            ["number_of_leaves"] = Range(8, 128),
            ["minimum_example_count_per_leaf"] = Range(5, 100),
            [rounds] = Range(50, 500),
            ["l2_regularization"] = Range(1e-6, 10),
        };

        static JsonObject Range(double low, double high) => new() { ["optimize"] = true, ["lower_bound"] = low, ["upper_bound"] = high };
    }

    private static async Task<JsonObject> MeasureAsync(Dictionary<string, string> options)
    {
        var seed = options.TryGetValue("seed", out var seedText) ? int.Parse(seedText, CultureInfo.InvariantCulture) : 0;
        var model = options["model"];
        var space = options.TryGetValue("space", out var json) ? JsonNode.Parse(json)!.AsObject() : DefaultSpace(model);
        var schema = SimpleSchemaInference.Infer(options["train"], options["label"]);
        var task = DashAI.ML.Tasks.TaskCatalog.Find(options["task"]) ?? throw new InvalidInputException($"Unknown task '{options["task"]}'.");
        var optimizer = new JsonObject
        {
            ["name"] = options.GetValueOrDefault("sampler", "TPE"),
            ["n_trials"] = int.Parse(options["trials"], CultureInfo.InvariantCulture),
            ["metric"] = OptimizerCatalog.MainMetric(task.Kind),
            ["seed"] = seed,
        };
        var plan = SearchPlan.Validate(model, task.Name, space, optimizer);
        var halving = options.GetValueOrDefault("pruning", "asha") switch
        {
            "asha" => new SuccessiveHalving(),
            "none" => null,
            var other => throw new InvalidInputException($"--pruning must be asha or none, got '{other}'."),
        };
        var request = new TrainingRequest(task.Name, model, plan.Fixed, schema, options["train"], options["validation"], options["test"], seed);

        var watch = Stopwatch.StartNew();
        var result = await SequentialSearch.RunAsync(plan, request, halving, null, CancellationToken.None);
        var seconds = watch.Elapsed.TotalSeconds;

        var metric = plan.Optimizer.Metric;
        var best = new JsonObject();
        foreach (var (name, value) in result.Best.Sampled)
        {
            best[name] = value?.DeepClone();
        }

        return new JsonObject
        {
            ["model"] = model,
            ["sampler"] = plan.Optimizer.Name,
            ["pruning"] = halving is null ? "none" : "asha",
            ["trials"] = result.Trials.Count,
            ["stopped_trials"] = result.Trials.Count(t => t.Outcome.Stopped),
            ["seconds"] = Math.Round(seconds, 3),
            ["trial_fit_seconds"] = Math.Round(result.Trials.Sum(t => t.Outcome.FitSeconds), 3),
            ["metric"] = metric,
            ["best_validation"] = Math.Round(result.Best.Outcome.Value, 6),
            ["test"] = Math.Round(result.Refit.Metrics[SplitNames.Test][metric], 6),
            ["best_parameters"] = best,
        };
    }
}

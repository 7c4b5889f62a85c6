using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using DashAI.ML;
using DashAI.ML.Components;
using DashAI.ML.Data;
using DashAI.ML.Models;
using DashAI.ML.Prediction;
using DashAI.ML.Training;

namespace DashAI.Benchmarks;

/// <summary>
/// <c>predict --train PATH --test PATH --label COLUMN --task TASK --model NAME [--seed N]</c>: fits once with the
/// product pipeline (not timed), saves the model zip to a file and loads it for prediction (<c>load_ms</c>: reading
/// the file and <see cref="PredictionModel.Load"/>), then 1,000 single-row predictions in process after 200 warm-up
/// ones (<c>single_row_p50_ms</c>, <c>single_row_p99_ms</c>: each is a JSON row of the test file checked against the
/// schema and scored, what <c>POST /run/{id}/predict</c> does per request without HTTP), then the whole test file as
/// one batch through the batch scorer: read, check, score and write the predictions CSV (<c>batch_rows_per_s</c>, and
/// <c>batch_cpu_rows_per_s</c> per second of processor time, which a busy machine distorts far less).
/// sklearn_predict.py measures scikit-learn's counterpart the same way.
/// </summary>
internal static class PredictCommand
{
    private const int WarmUp = 200;
    private const int SingleRows = 1000;

    public static int Run(string[] args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            options[args[i].TrimStart('-')] = args[i + 1];
        }

        string[] required = ["train", "test", "label", "task", "model"];
        if (required.Any(r => !options.ContainsKey(r)) || args.Length % 2 != 0)
        {
            Console.Error.WriteLine("usage: predict --train PATH --test PATH --label COLUMN --task TASK --model NAME [--seed N]");
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
        var schema = SimpleSchemaInference.Infer(options["train"], options["label"]);
        var parameters = ComponentRegistry.ValidateAndFillDefaults(options["model"], options["task"], null);
        var task = ComponentRegistry.ValidateExperiment(options["task"], schema);
        var definition = ModelCatalog.Find(options["model"])!;

        var session = new TrainingSession(task, definition, parameters, schema, seed);
        var rawTrain = session.Load(options["train"]);
        var fitted = session.Fit(session.PrepareTrainingData(rawTrain));
        var evaluation = session.Evaluate(fitted, session.Load(options["test"]), SplitNames.Test, CancellationToken.None);
        var zipPath = Path.Combine(Path.GetTempPath(), $"dashai-predict-{Guid.NewGuid():N}.zip");
        var outputPath = Path.ChangeExtension(zipPath, ".csv");
        try
        {
            using (var file = File.Create(zipPath))
            {
                session.MLContext.Model.Save(fitted, session.InputSchema(rawTrain), file);
            }

            session = null;
            fitted = null;
            rawTrain = null;
            GC.Collect();

            var loadWatch = Stopwatch.StartNew();
            PredictionModel model;
            using (var file = File.OpenRead(zipPath))
            {
                model = PredictionModel.Load(file, schema);
            }

            var loadMs = loadWatch.Elapsed.TotalMilliseconds;

            var requests = TestRows(options["test"], model, WarmUp + SingleRows);
            var times = new double[SingleRows];
            for (var i = 0; i < WarmUp + SingleRows; i++)
            {
                var start = Stopwatch.GetTimestamp();
                var scored = model.Score(model.Inputs.CheckJson(new JsonArray(requests[i].DeepClone())).Rows);
                var elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                if (scored.Count != 1)
                {
                    throw new InvalidOperationException("One row in, one prediction out.");
                }

                if (i >= WarmUp)
                {
                    times[i - WarmUp] = elapsed;
                }
            }

            Array.Sort(times);
            using var process = Process.GetCurrentProcess();
            process.Refresh();
            var cpuBefore = process.TotalProcessorTime;
            var batchWatch = Stopwatch.StartNew();
            var batch = BatchScorer.Score(model, options["test"], DataLoaderCatalog.Csv, DataLoaderOptions.Default, outputPath, null, CancellationToken.None);
            var batchSeconds = batchWatch.Elapsed.TotalSeconds;
            process.Refresh();
            var batchCpuSeconds = (process.TotalProcessorTime - cpuBefore).TotalSeconds;

            var metrics = new JsonObject();
            foreach (var (name, value) in evaluation.Metrics)
            {
                metrics[name] = Math.Round(value, 6);
            }

            return new JsonObject
            {
                ["model"] = definition.Name,
                ["rows_test"] = batch.Rows,
                ["load_ms"] = Math.Round(loadMs, 2),
                ["single_row_p50_ms"] = Math.Round(times[SingleRows / 2], 4),
                ["single_row_p99_ms"] = Math.Round(times[(SingleRows * 99 / 100) - 1], 4),
                ["batch_rows_per_s"] = Math.Round(batch.Rows / batchSeconds),
                ["batch_cpu_rows_per_s"] = Math.Round(batch.Rows / batchCpuSeconds),
                ["metrics"] = new JsonObject { [SplitNames.Test] = metrics },
            };
        }
        finally
        {
            File.Delete(zipPath);
            File.Delete(outputPath);
        }
    }

    /// <summary>Rows of the test file as request rows (numbers as JSON numbers, other fields as strings), cycling through it.</summary>
    private static List<JsonObject> TestRows(string path, PredictionModel model, int count)
    {
        var lines = File.ReadLines(path).Take(count + 1).ToList();
        var header = SimpleSchemaInference.ReadCsv(lines[0])[0];
        var rows = new List<JsonObject>();
        for (var i = 0; rows.Count < count; i++)
        {
            var fields = SimpleSchemaInference.ReadCsv(lines[1 + (i % (lines.Count - 1))])[0];
            var row = new JsonObject();
            foreach (var column in model.Inputs.Columns)
            {
                var text = fields[header.IndexOf(column.Name)];
                row[column.Name] = column.Type is ColumnType.Integer or ColumnType.Float && double.TryParse(text, CultureInfo.InvariantCulture, out var number)
                    ? JsonValue.Create(number)
                    : JsonValue.Create(text);
            }

            rows.Add(row);
        }

        return rows;
    }
}

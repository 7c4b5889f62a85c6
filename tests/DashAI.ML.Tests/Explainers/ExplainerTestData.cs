using System.Globalization;
using System.Text.Json.Nodes;
using DashAI.ML.Data;
using DashAI.ML.Explainers;
using DashAI.ML.Training;

namespace DashAI.ML.Tests.Explainers;

/// <summary>A trained model saved to a file with its splits: what an explainer job downloads.</summary>
public sealed record TrainedModel(SplitFiles Files, string Task, string Model, string ModelPath, IReadOnlyList<string> ClassLabels)
{
    public ExplainRequest Request(string explainer, JsonObject? parameters = null) =>
        new(explainer, Task, Model, parameters ?? [], Files.Schema, ClassLabels, ModelPath, Files.TrainPath, Files.ValidationPath, Files.TestPath);

    public ExplanationResult Explain(string explainer, JsonObject? parameters = null) =>
        Explainer.Explain(Request(explainer, parameters), null, CancellationToken.None);
}

/// <summary>
/// Synthetic data with a known structure, and models trained on it once per test process:
/// <c>strong</c> drives the output, <c>weak</c> a little, <c>noise</c> not at all, <c>colour</c> (categorical) shifts it.
/// </summary>
public static class ExplainerTestData
{
    private static readonly Lazy<SplitFiles> RegressionFiles = new(() => Write("regression", classification: false));
    private static readonly Lazy<SplitFiles> ClassificationFiles = new(() => Write("classification", classification: true));
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<TrainedModel>> Models = new();

    public static SplitFiles Regression => RegressionFiles.Value;

    public static SplitFiles Classification => ClassificationFiles.Value;

    public static TrainedModel Trained(string model, bool classification) =>
        Models.GetOrAdd($"{model}/{classification}", _ => new Lazy<TrainedModel>(() =>
        {
            var files = classification ? Classification : Regression;
            var task = classification ? "TabularClassificationTask" : "RegressionTask";
            var result = Trainer.Train(files.Request(task, model), null, CancellationToken.None);
            var path = Path.Combine(Path.GetDirectoryName(files.TrainPath)!, $"{model}-{Guid.NewGuid():N}.zip");
            using (var stream = File.Create(path))
            {
                result.SaveModel(stream);
            }

            return new TrainedModel(files, task, model, path, ExplainRequest.ClassLabelsFrom(result.Artifacts["class_labels"] as JsonArray));
        })).Value;

    private static SplitFiles Write(string name, bool classification)
    {
        var random = new Random(11);
        string[] colours = ["red", "green", "blue"];
        var splits = new List<IReadOnlyList<string>>[] { [], [], [] };
        for (var s = 0; s < 3; s++)
        {
            splits[s].Add(["strong", "noise", "weak", "colour", "y"]);
            var rows = s == 0 ? 1200 : 400;
            for (var i = 0; i < rows; i++)
            {
                var strong = (random.NextDouble() * 10) - 5;
                var weak = (random.NextDouble() * 10) - 5;
                var noise = (random.NextDouble() * 10) - 5;
                var colour = random.Next(3);
                var value = (4 * strong) + (0.6 * weak) + (colour * 1.5) + Gaussian(random);
                var y = classification
                    ? (value < -4 ? "low" : value < 4 ? "mid" : "high")
                    : value.ToString("R", CultureInfo.InvariantCulture);
                splits[s].Add([Number(strong), Number(noise), Number(weak), colours[colour], y]);
            }
        }

        var paths = splits.Select((rows, i) => TestData.WriteCsv($"{name}-{SplitNames.All[i]}", rows)).ToArray();
        return new SplitFiles(SimpleSchemaInference.Infer(paths[0], "y"), paths[0], paths[1], paths[2]);
    }

    private static string Number(double value) => Math.Round(value, 4).ToString(CultureInfo.InvariantCulture);

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}

using System.Globalization;
using System.Text;
using DashAI.ML.Data;
using DashAI.ML.Models;

namespace DashAI.ML.Training;

/// <summary>
/// Trains models on a small made-up tabular set so that a fresh process compiles the training code (loading,
/// encoding, featurizing, the trainers, scoring) before the first real job: .NET first runs new code unoptimized
/// and optimizes it only after it has been called for a while, and ML.NET's transforms are much of a first fit's
/// time (RidgeRegressor on 200,000 rows: 0.20 s as the first fit of a process, 0.06 s after this warm-up).
/// </summary>
public static class TrainingWarmUp
{
    /// <summary>Rows of the made-up set: enough rows for every trainer's defaults, few enough to fit in milliseconds.</summary>
    public const int Rows = 600;

    /// <summary>How many times each model is trained: optimized code replaces the first compilation after a few calls.</summary>
    public const int Fits = 3;

    /// <summary>Trees or boosting rounds of the tree models during the warm-up.</summary>
    private const int WarmUpTrees = 5;

    private static readonly string[] RoundsParameters = ["number_of_trees", "number_of_iterations"];

    private const string Label = "label";
    private const string Target = "target";

    /// <summary>
    /// Trains each tabular model (or those named in <paramref name="models"/>) <see cref="Fits"/> times in
    /// <paramref name="directory"/>, a folder it may write two small CSV files to. Returns the models trained.
    /// </summary>
    public static IReadOnlyList<string> Run(string directory, IEnumerable<string>? models, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var chosen = models?.ToHashSet(StringComparer.Ordinal);
        var classification = Write(Path.Combine(directory, "warm-up-classification.csv"), Label, (random, x) => x[0] + x[1] > 1 ? "a" : random.Next(2) == 0 ? "b" : "c");
        var regression = Write(Path.Combine(directory, "warm-up-regression.csv"), Target, (random, x) => (3 * x[0] - x[2] + random.NextDouble()).ToString("R", CultureInfo.InvariantCulture));
        var trained = new List<string>();
        foreach (var model in ModelCatalog.All.Where(m => chosen is null || chosen.Contains(m.Name)))
        {
            var (task, files) = model.Fits("TabularClassificationTask") ? ("TabularClassificationTask", classification)
                : model.Fits("RegressionTask") ? ("RegressionTask", regression)
                : (null, default);
            if (task is null)
            {
                continue;
            }

            // Tree ensembles run the same code for 5 trees as for 100: fewer keep the warm-up short.
            var parameters = new System.Text.Json.Nodes.JsonObject();
            foreach (var rounds in RoundsParameters.Where(model.ParameterSchema["properties"]!.AsObject().ContainsKey))
            {
                parameters[rounds] = WarmUpTrees;
            }

            for (var i = 0; i < Fits; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                Trainer.Train(new TrainingRequest(task, model.Name, (System.Text.Json.Nodes.JsonObject)parameters.DeepClone(), files.Schema, files.Path, files.Path, files.Path, Seed: 0), null, cancellationToken);
            }

            trained.Add(model.Name);
        }

        return trained;
    }

    /// <summary>Four numeric columns, one categorical column and the output column, in canonical CSV.</summary>
    private static (DatasetSchema Schema, string Path) Write(string path, string output, Func<Random, double[], string> outputOf)
    {
        var random = new Random(7);
        var text = new StringBuilder("x0,x1,x2,x3,colour,").Append(output).Append('\n');
        string[] colours = ["red", "green", "blue"];
        var x = new double[4];
        for (var row = 0; row < Rows; row++)
        {
            for (var i = 0; i < x.Length; i++)
            {
                x[i] = random.NextDouble();
                text.Append(x[i].ToString("R", CultureInfo.InvariantCulture)).Append(',');
            }

            text.Append(colours[random.Next(colours.Length)]).Append(',').Append(outputOf(random, x)).Append('\n');
        }

        File.WriteAllText(path, text.ToString());
        var outputType = output == Label ? ColumnType.Categorical : ColumnType.Float;
        ColumnInfo[] columns =
        [
            new("x0", ColumnType.Float, 0, Rows), new("x1", ColumnType.Float, 0, Rows), new("x2", ColumnType.Float, 0, Rows),
            new("x3", ColumnType.Float, 0, Rows), new("colour", ColumnType.Categorical, 0, 3), new(output, outputType, 0, output == Label ? 3 : Rows),
        ];
        return (new DatasetSchema(columns, ["x0", "x1", "x2", "x3", "colour"], [output]), path);
    }
}

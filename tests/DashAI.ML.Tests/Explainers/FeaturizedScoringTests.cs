using System.Globalization;
using System.Text.Json.Nodes;
using DashAI.ML.Data;
using DashAI.ML.Explainers;
using DashAI.ML.Tasks;
using DashAI.ML.Training;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace DashAI.ML.Tests.Explainers;

/// <summary>
/// Explainers score virtual rows by featurizing each row of a table once and mixing feature slots; these tests hold
/// that to the scores of the whole model run on every virtual row.
/// </summary>
public class FeaturizedScoringTests
{
    [Theory]
    [InlineData("RidgeRegressor", false)]
    [InlineData("LightGbmRegressor", false)]
    [InlineData("LogisticRegression", true)]
    [InlineData("LightGbmClassifier", true)]
    [InlineData("FastForestClassifier", true)]
    public void MixedFeatureVectorsScoreExactlyAsTheWholeModelDoes(string model, bool classification)
    {
        var trained = ExplainerTestData.Trained(model, classification);
        var context = ExplainContext.Load(trained.Request(ExplainerCatalog.PermutationFeatureImportance));
        var table = context.Sample(trained.Files.TestPath, 300, seed: 3, labelled: true, CancellationToken.None);

        AssertSameScores(context, table);
    }

    [Fact]
    public void TextColumnsMixAsTheirOwnSlotsToo()
    {
        var files = TestData.PackageSections;
        var result = Trainer.Train(files.Request("TextClassificationTask", "LogisticRegression"), null, CancellationToken.None);
        var path = Path.Combine(Path.GetDirectoryName(files.TrainPath)!, $"text-{Guid.NewGuid():N}.zip");
        using (var stream = File.Create(path))
        {
            result.SaveModel(stream);
        }

        var request = new ExplainRequest(
            ExplainerCatalog.PermutationFeatureImportance,
            "TextClassificationTask",
            "LogisticRegression",
            [],
            files.Schema,
            ExplainRequest.ClassLabelsFrom(result.Artifacts["class_labels"] as JsonArray),
            path,
            files.TrainPath,
            files.ValidationPath,
            files.TestPath);
        var context = ExplainContext.Load(request);
        var table = context.Sample(files.TestPath, 150, seed: 2, labelled: true, CancellationToken.None);

        AssertSameScores(context, table);
    }

    [Fact]
    public void AFeaturizationThatMixesColumnsIsScoredRowByRow()
    {
        // Each slot of an L2-normalized vector depends on every column: the layout check must refuse it.
        var rows = new List<IReadOnlyList<string>> { new[] { "a", "b", "y" } };
        var random = new Random(5);
        for (var i = 0; i < 200; i++)
        {
            var a = (random.NextDouble() * 4) + 1;
            var b = (random.NextDouble() * 4) + 1;
            rows.Add([Text(a), Text(b), Text((3 * a / Math.Sqrt((a * a) + (b * b))) - b)]);
        }

        var path = TestData.WriteCsv("mixing", rows);
        var schema = SimpleSchemaInference.Infer(path, "y");
        var names = PipelineColumns.For(schema);
        var mlContext = new MLContext(seed: 0);
        var data = mlContext.Data.LoadFromTextFile(
            path,
            [new TextLoader.Column("a", DataKind.Single, 0), new TextLoader.Column("b", DataKind.Single, 1), new TextLoader.Column("y", DataKind.Single, 2)],
            separatorChar: ',',
            hasHeader: true);
        var model = mlContext.Transforms.Concatenate(names.Numeric, "a", "b")
            .Append(mlContext.Transforms.NormalizeLpNorm(names.Features, names.Numeric))
            .Append(mlContext.Regression.Trainers.Sdca("y", names.Features))
            .Fit(data);
        var table = new RowTable(schema, 200) { Count = 200 };
        for (var i = 0; i < 200; i++)
        {
            table.Numbers(0)[i] = float.Parse(rows[i + 1][0], CultureInfo.InvariantCulture);
            table.Numbers(1)[i] = float.Parse(rows[i + 1][1], CultureInfo.InvariantCulture);
        }

        var scorer = new BatchScorer(model, TaskKind.Regression, 1, schema);
        var whole = new BatchScorer(model, TaskKind.Regression, 1, schema, featurize: false);
        CellSource shuffled = (row, column) => column == 1 ? (int)((row + 7) % 200) : (int)row;

        var scores = scorer.Score(table, 200, shuffled, CancellationToken.None, mixing: [1]);

        // The model has the usual shape (a predictor after one vector of the numeric columns): only the check refuses it.
        Assert.NotNull(FeatureSpace.TryCreate(model, schema));
        Assert.False(scorer.LastScoredFeaturized);
        Assert.Equal(whole.Score(table, 200, shuffled, CancellationToken.None), scores);
    }

    private static void AssertSameScores(ExplainContext context, RowTable table)
    {
        var rows = table.Count;
        var columns = table.Columns.Count;
        var whole = new BatchScorer(context.Model, context.Task.Kind, context.Classes?.Count ?? 1, context.Schema, featurize: false);
        var random = new Random(9);
        var permutation = Enumerable.Range(0, rows).ToArray();
        random.Shuffle(permutation);
        var picks = Enumerable.Range(0, rows * 3 * columns).Select(_ => random.Next(rows)).ToArray();
        var sources = new (CellSource Source, long Rows, IReadOnlyCollection<int>? Mixing)[]
        {
            ((row, _) => (int)row, rows, null),
            // Permutation importance: one column shuffled over two repeats.
            ((row, column) => column == columns - 1 ? permutation[row % rows] : (int)(row % rows), rows * 2L, [columns - 1]),
            // Shapley sampling: any column from any row.
            ((row, column) => picks[(row * columns) + column], rows * 3L, null),
        };

        foreach (var (source, count, mixing) in sources)
        {
            var expected = whole.Score(table, count, source, CancellationToken.None);
            var actual = context.Scorer.Score(table, count, source, CancellationToken.None, mixing: mixing);

            Assert.True(context.Scorer.LastScoredFeaturized);
            Assert.False(whole.LastScoredFeaturized);
            Assert.Equal(expected.Length, actual.Length);
            // Dense and sparse feature vectors may sum a dot product in another order: the last bit can differ.
            for (var i = 0; i < expected.Length; i++)
            {
                Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-6 * Math.Max(1, Math.Abs(expected[i])), $"value {i}: {expected[i]} vs {actual[i]}");
            }
        }
    }

    private static string Text(double value) => Math.Round(value, 4).ToString(CultureInfo.InvariantCulture);
}

using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using DashAI.ML.Data;
using DashAI.ML.Models;
using DashAI.ML.Prediction;
using DashAI.ML.Tasks;
using DashAI.ML.Training;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace DashAI.ML.Tests.Prediction;

/// <summary>A model trained once per test process, its zip, and the model loaded for prediction.</summary>
public sealed record TrainedModel(SplitFiles Data, string Task, string Model, TrainingResult Result, byte[] Zip, PredictionModel Loaded);

public static class TrainedModels
{
    private static readonly ConcurrentDictionary<string, Lazy<TrainedModel>> Cache = new();

    public static TrainedModel Get(string model) =>
        Cache.GetOrAdd(model, name => new Lazy<TrainedModel>(() => Train(name))).Value;

    /// <summary>The dataset each model family is tried on: wine for classification, diabetes for regression.</summary>
    public static (SplitFiles Data, string Task) DataFor(string model) =>
        ModelCatalog.Find(model)!.Fits(TabularClassificationTask.TaskName)
            ? (TestData.Wine, TabularClassificationTask.TaskName)
            : (TestData.Diabetes, RegressionTask.TaskName);

    private static TrainedModel Train(string model)
    {
        var (data, task) = DataFor(model);
        var result = Trainer.Train(data.Request(task, model, ModelTrainingTests.Parameters(model)), null, CancellationToken.None);
        using var zip = new MemoryStream();
        result.SaveModel(zip);
        var bytes = zip.ToArray();
        return new TrainedModel(data, task, model, result, bytes, PredictionModel.Load(new MemoryStream(bytes), data.Schema));
    }
}

public class PredictionTests
{
    public static TheoryData<string> EveryModel => [.. ModelCatalog.All.Select(m => m.Name)];

    [Theory]
    [MemberData(nameof(EveryModel))]
    public void PredictionsOfTheTestSplitAreTheEvaluationsLabelsAndScores(string modelName)
    {
        var trained = TrainedModels.Get(modelName);
        var model = trained.Loaded;
        var checkedRows = model.Inputs.CheckCsv(new StringReader(File.ReadAllText(trained.Data.TestPath)));
        var predictions = model.Score(checkedRows.Rows);

        // What evaluation scored: the saved model over the test split as training read it.
        var mlContext = new MLContext(seed: 0);
        var reference = mlContext.Model.Load(new MemoryStream(trained.Zip), out _)
            .Transform(CanonicalCsv.CreateLoader(mlContext, trained.Data.Schema).Load(trained.Data.TestPath));
        var output = trained.Data.Schema.OutputColumns[0];
        Assert.Equal($"Column '{output}' is the model's output column; its values were ignored.", Assert.Single(checkedRows.Warnings));
        if (model.Kind == TaskKind.Classification)
        {
            var expectedLabels = reference.GetColumn<ReadOnlyMemory<char>>(reference.Schema[TrainingPipeline.PredictedLabelColumn]).Select(v => v.ToString()).ToList();
            var expectedScores = reference.GetColumn<VBuffer<float>>(reference.Schema[TrainingPipeline.ScoreColumn]).Select(v => v.DenseValues().ToArray()).ToList();
            Assert.Equal(expectedLabels, predictions.Select(p => p.Label));
            for (var i = 0; i < predictions.Count; i++)
            {
                Assert.Equal(expectedScores[i], predictions[i].Probabilities);
                Assert.Equal(1.0, predictions[i].Probabilities!.Sum(), 4);
            }

            var actual = reference.GetColumn<ReadOnlyMemory<char>>(reference.Schema[output]).Select(v => v.ToString()).ToList();
            var accuracy = (double)actual.Zip(predictions).Count(p => p.First == p.Second.Label) / actual.Count;
            Assert.Equal(trained.Result.Metrics[SplitNames.Test]["accuracy"], accuracy, 9);
            Assert.Equal(trained.Result.Artifacts["class_labels"]!.AsArray().Select(v => v!.ToString()), model.ClassLabels);
        }
        else
        {
            var expected = reference.GetColumn<float>(reference.Schema[TrainingPipeline.ScoreColumn]).ToList();
            Assert.Equal(expected, predictions.Select(p => p.Value!.Value));
            var actual = reference.GetColumn<float>(reference.Schema[output]).ToList();
            var rmse = Math.Sqrt(actual.Zip(expected).Average(p => Math.Pow((double)p.First - p.Second, 2)));
            Assert.Equal(trained.Result.Metrics[SplitNames.Test]["rmse"], rmse, 3);
        }
    }

    [Fact]
    public void IntegerLabelsArePredictedAsNumbersWithTheirClassNames()
    {
        var data = TestData.Digits;
        var result = Trainer.Train(data.Request(TabularClassificationTask.TaskName, "LogisticRegression"), null, CancellationToken.None);
        using var zip = new MemoryStream();
        result.SaveModel(zip);
        zip.Position = 0;
        var model = PredictionModel.Load(zip, data.Schema);

        var rows = model.Inputs.CheckCsv(new StringReader(File.ReadAllText(data.TestPath))).Rows;
        var predictions = model.Score(rows);

        Assert.True(model.NumericLabels);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => i.ToString(CultureInfo.InvariantCulture)), model.ClassLabels);
        Assert.All(predictions, p => Assert.InRange(p.NumericLabel!.Value, 0, 9));
        var actual = File.ReadLines(data.TestPath).Skip(1).Select(l => double.Parse(l.Split(',')[^1], CultureInfo.InvariantCulture)).ToList();
        var accuracy = (double)actual.Zip(predictions).Count(p => p.First == p.Second.NumericLabel) / actual.Count;
        Assert.Equal(result.Metrics[SplitNames.Test]["accuracy"], accuracy, 9);
    }

    [Fact]
    public void AMissingInputColumnIsAnErrorNamingIt()
    {
        var model = TrainedModels.Get("LogisticRegression").Loaded;
        var rows = new JsonArray(new JsonObject { ["alcohol"] = 13.2 });

        var error = Assert.Throws<InvalidInputException>(() => model.Inputs.CheckJson(rows));

        Assert.Equal(model.Inputs.Columns.Count - 1, error.Errors.Count);
        Assert.Contains("Input column 'malic_acid' is missing.", error.Errors);
        Assert.DoesNotContain(error.Errors, e => e.Contains("'alcohol'", StringComparison.Ordinal));
    }

    [Fact]
    public void EveryValueOfTheWrongTypeIsListedWithItsRowAndColumn()
    {
        var model = TrainedModels.Get("LogisticRegression").Loaded;
        var rows = new JsonArray(Row(model), Row(model), Row(model));
        rows[0]!["alcohol"] = "strong";
        rows[2]!["ash"] = true;
        rows[2]!["hue"] = new JsonArray(1, 2);

        var error = Assert.Throws<InvalidInputException>(() => model.Inputs.CheckJson(rows));

        Assert.Equal(
            ["Row 1, column 'alcohol': 'strong' is not a number.", "Row 3, column 'ash': 'true' is not a number.", "Row 3, column 'hue': a list is not a value."],
            error.Errors);
    }

    [Fact]
    public void ExtraColumnsAndTheOutputColumnAreIgnoredWithAWarning()
    {
        var model = TrainedModels.Get("LogisticRegression").Loaded;
        var row = Row(model);
        var plain = model.Score(model.Inputs.CheckJson(new JsonArray(Row(model))).Rows[0]);
        row["cultivar"] = "class_9";
        row["comment"] = "from the lab";

        var checkedRows = model.Inputs.CheckJson(new JsonArray(row));

        Assert.Equal(
            ["Column 'cultivar' is the model's output column; its values were ignored.", "Column 'comment' is not an input of the model; it was ignored."],
            checkedRows.Warnings.Order(StringComparer.Ordinal).Reverse());
        Assert.Equal(plain.Probabilities, model.Score(checkedRows.Rows[0]).Probabilities);
    }

    [Fact]
    public void MissingValuesAreScoredAsTrainingTreatedThem()
    {
        var trained = TrainedModels.Get("LightGbmClassifier");
        var model = trained.Loaded;
        var complete = Row(model);
        var withNulls = Row(model);
        withNulls["alcohol"] = null;
        withNulls["ash"] = "NA";
        var absent = Row(model);
        absent.Remove("alcohol");
        absent["ash"] = "";

        var checkedRows = model.Inputs.CheckJson(new JsonArray(complete, withNulls, absent));
        var scored = model.Score(checkedRows.Rows);

        // The saved model over a CSV with empty fields: what training's loader reads as missing.
        var header = string.Join(',', model.Inputs.Columns.Select(c => c.Name));
        var values = model.Inputs.Columns.Select(c => c.Name is "alcohol" or "ash" ? "" : complete[c.Name]!.ToJsonString());
        var path = TestData.WriteCsv("wine-missing", [[.. model.Inputs.Columns.Select(c => c.Name)], [.. values]]);
        var mlContext = new MLContext(seed: 0);
        var reference = mlContext.Model.Load(new MemoryStream(trained.Zip), out _)
            .Transform(CanonicalCsv.CreatePredictionLoader(mlContext, trained.Data.Schema).Load(path));
        var expected = reference.GetColumn<VBuffer<float>>(reference.Schema[TrainingPipeline.ScoreColumn]).Single().DenseValues().ToArray();
        Assert.NotEmpty(header);
        Assert.Equal(expected, scored[1].Probabilities);
        Assert.Equal(expected, scored[2].Probabilities);
        Assert.NotEqual(scored[0].Probabilities, scored[1].Probabilities);
    }

    [Fact]
    public void ConcurrentScoringOnOneModelGivesTheSequentialResults()
    {
        var trained = TrainedModels.Get("FastTreeClassifier");
        var model = trained.Loaded;
        var rows = model.Inputs.CheckCsv(new StringReader(File.ReadAllText(trained.Data.TrainPath))).Rows;
        var sequential = rows.Select(model.Score).ToList();

        var results = new ScoredRow[16][];
        Parallel.For(0, 16, new ParallelOptions { MaxDegreeOfParallelism = 8 }, t =>
        {
            var mine = new ScoredRow[rows.Count];
            // Half score row by row, half whole lists, interleaved with the other threads.
            for (var i = 0; i < rows.Count; i++)
            {
                mine[i] = t % 2 == 0 ? model.Score(rows[i]) : model.Score([rows[i], rows[(i + 1) % rows.Count]])[0];
            }

            results[t] = mine;
        });

        foreach (var result in results)
        {
            Assert.Equal(sequential.Select(p => p.Label), result.Select(p => p.Label));
            Assert.Equal(sequential.SelectMany(p => p.Probabilities!), result.SelectMany(p => p.Probabilities!));
        }
    }

    [Fact]
    public void CsvRowsOfTheWrongWidthAndWithoutAHeaderAreErrors()
    {
        var model = TrainedModels.Get("LogisticRegression").Loaded;
        var header = string.Join(',', model.Inputs.Columns.Select(c => c.Name));

        var ragged = Assert.Throws<InvalidInputException>(() => model.Inputs.CheckCsv(new StringReader(header + "\n1,2\n")));
        var empty = Assert.Throws<InvalidInputException>(() => model.Inputs.CheckCsv(new StringReader("")));

        Assert.Equal($"Row 1 has 2 fields but the header has {model.Inputs.Columns.Count}.", Assert.Single(ragged.Errors));
        Assert.Equal("The CSV body has no header row.", Assert.Single(empty.Errors));
    }

    [Fact]
    public void ProblemsBeyondTheLimitAreCountedInOneLastMessage()
    {
        var model = TrainedModels.Get("LogisticRegression").Loaded;
        var rows = new JsonArray();
        for (var i = 0; i < 600; i++)
        {
            var row = Row(model);
            row["alcohol"] = "x";
            row["ash"] = "y";
            rows.Add(row);
        }

        var error = Assert.Throws<InvalidInputException>(() => model.Inputs.CheckJson(rows));

        Assert.Equal(PredictionInputs.MaxProblems + 1, error.Errors.Count);
        Assert.Equal("… and 200 more problems.", error.Errors[^1]);
    }

    /// <summary>A valid request row: the first test row of the model's dataset as JSON numbers.</summary>
    internal static JsonObject Row(PredictionModel model)
    {
        var data = TrainedModels.DataFor("LogisticRegression").Data;
        var lines = File.ReadLines(data.TestPath).Take(2).Select(l => l.Split(',')).ToList();
        var row = new JsonObject();
        foreach (var column in model.Inputs.Columns)
        {
            row[column.Name] = double.Parse(lines[1][Array.IndexOf(lines[0], column.Name)], CultureInfo.InvariantCulture);
        }

        return row;
    }
}

using System.Globalization;
using System.Text;
using DashAI.ML.Data;
using DashAI.ML.Prediction;

namespace DashAI.ML.Tests.Prediction;

public class BatchScorerTests
{
    [Fact]
    public void ACanonicalSplitIsWrittenBackWithTheLabelAndOneProbabilityPerClass()
    {
        var trained = TrainedModels.Get("LightGbmClassifier");
        var model = trained.Loaded;
        var output = OutputPath();
        var progress = new List<long>();

        var result = BatchScorer.Score(model, trained.Data.TestPath, DataLoaderCatalog.Csv, DataLoaderOptions.Default, output, new SyncProgress<long>(progress), CancellationToken.None);

        var expected = model.Score(model.Inputs.CheckCsv(new StringReader(File.ReadAllText(trained.Data.TestPath))).Rows);
        var input = File.ReadAllLines(trained.Data.TestPath);
        var lines = File.ReadAllLines(output);
        Assert.Equal(input.Length - 1, result.Rows);
        Assert.Equal(["predicted_cultivar", "probability_class_0", "probability_class_1", "probability_class_2"], result.PredictionColumns);
        Assert.Equal(input[0] + "," + string.Join(',', result.PredictionColumns), lines[0]);
        Assert.Equal(input.Length, lines.Length);
        for (var i = 1; i < lines.Length; i++)
        {
            var fields = lines[i].Split(',');
            Assert.StartsWith(input[i] + ",", lines[i], StringComparison.Ordinal);
            Assert.Equal(expected[i - 1].Label, fields[^4]);
            Assert.Equal(expected[i - 1].Probabilities, fields[^3..].Select(f => float.Parse(f, CultureInfo.InvariantCulture)));
        }

        Assert.Equal([result.Rows], progress);
        Assert.Single(result.Warnings);
    }

    [Fact]
    public void RowsScoredInParallelChunksAreWrittenInTheirOrder()
    {
        var trained = TrainedModels.Get("FastTreeClassifier");
        var model = trained.Loaded;
        var lines = File.ReadAllLines(trained.Data.TrainPath);
        var text = new StringBuilder(lines[0]).Append('\n');
        for (var i = 0; i < 7000; i++)
        {
            text.Append(lines[1 + (i * 7 % (lines.Length - 1))]).Append('\n');
        }

        var input = Path.Combine(Path.GetTempPath(), $"dashai-batch-{Guid.NewGuid():N}.csv");
        File.WriteAllText(input, text.ToString());
        var output = OutputPath();
        var progress = new List<long>();

        var result = BatchScorer.Score(model, input, DataLoaderCatalog.Csv, DataLoaderOptions.Default, output, new SyncProgress<long>(progress), CancellationToken.None);

        var expected = model.Score(model.Inputs.CheckCsv(new StringReader(text.ToString())).Rows);
        var written = File.ReadLines(output).Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(7000, result.Rows);
        Assert.Equal([2048, 4096, 6144, 7000], progress);
        Assert.Equal(text.ToString().Split('\n').Skip(1).Take(7000), written.Select(f => string.Join(',', f[..^4])));
        Assert.Equal(expected.Select(p => p.Label), written.Select(f => f[^4]));
        Assert.Equal(expected.SelectMany(p => p.Probabilities!), written.SelectMany(f => f[^3..].Select(v => float.Parse(v, CultureInfo.InvariantCulture))));
    }

    [Fact]
    public void AJsonFileScoresThroughTheUploadsJsonLoader()
    {
        var trained = TrainedModels.Get("RidgeRegressor");
        var model = trained.Loaded;
        var csv = File.ReadAllLines(trained.Data.TestPath);
        var header = csv[0].Split(',');
        var records = csv.Skip(1).Select(l => "{" + string.Join(',', header.Zip(l.Split(',')).Select(p => $"\"{p.First}\": {p.Second}")) + "}");
        var json = Path.Combine(Path.GetTempPath(), $"dashai-batch-{Guid.NewGuid():N}.json");
        File.WriteAllText(json, "{\"data\": [" + string.Join(",\n", records) + "]}");
        var output = OutputPath();

        var result = BatchScorer.Score(model, json, DataLoaderCatalog.Json, DataLoaderOptions.Default with { DataKey = "data" }, output, null, CancellationToken.None);

        var expected = model.Score(model.Inputs.CheckCsv(new StringReader(File.ReadAllText(trained.Data.TestPath))).Rows);
        var values = File.ReadLines(output).Skip(1).Select(l => float.Parse(l.Split(',')[^1], CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(expected.Select(p => p.Value!.Value), values);
        Assert.Equal(["predicted_progression"], result.PredictionColumns);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(output)!, Path.GetFileName(output) + ".records-*"));
    }

    [Fact]
    public void AFileWithASemicolonSeparatorAndDecimalCommasScoresLikeTheCanonicalSplit()
    {
        var trained = TrainedModels.Get("LogisticRegression");
        var model = trained.Loaded;
        var semicolon = Path.Combine(Path.GetTempPath(), $"dashai-batch-{Guid.NewGuid():N}.csv");
        File.WriteAllLines(semicolon, File.ReadAllLines(trained.Data.TestPath).Select(l => l.Replace(',', ';').Replace('.', ',')));
        var canonical = OutputPath();
        var european = OutputPath();

        BatchScorer.Score(model, trained.Data.TestPath, DataLoaderCatalog.Csv, DataLoaderOptions.Default, canonical, null, CancellationToken.None);
        BatchScorer.Score(model, semicolon, DataLoaderCatalog.Csv, new DataLoaderOptions(';', DecimalPoint: ','), european, null, CancellationToken.None);

        static IEnumerable<string> Predictions(string path) => File.ReadLines(path).Skip(1).Select(l => string.Join('|', l.Split(',')[^4..]));
        Assert.Equal(Predictions(canonical), Predictions(european));
    }

    [Fact]
    public void AValueOfTheWrongTypeFailsWithItsRowAndLeavesNoOutput()
    {
        var trained = TrainedModels.Get("LogisticRegression");
        var lines = File.ReadAllLines(trained.Data.TestPath);
        lines[3] = "abc" + lines[3][lines[3].IndexOf(',', StringComparison.Ordinal)..];
        var input = Path.Combine(Path.GetTempPath(), $"dashai-batch-{Guid.NewGuid():N}.csv");
        File.WriteAllLines(input, lines);
        var output = OutputPath();

        var error = Assert.Throws<InvalidInputException>(() =>
            BatchScorer.Score(trained.Loaded, input, DataLoaderCatalog.Csv, DataLoaderOptions.Default, output, null, CancellationToken.None));

        Assert.Equal(["Row 3, column 'alcohol': 'abc' is not a number."], error.Errors);
        Assert.Equal(3, error.Row);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void AMissingInputColumnFailsBeforeAnyRowIsScored()
    {
        var trained = TrainedModels.Get("LogisticRegression");
        var input = Path.Combine(Path.GetTempPath(), $"dashai-batch-{Guid.NewGuid():N}.csv");
        File.WriteAllText(input, "alcohol,hue\n13,1\n");

        var error = Assert.Throws<InvalidInputException>(() =>
            BatchScorer.Score(trained.Loaded, input, DataLoaderCatalog.Csv, DataLoaderOptions.Default, OutputPath(), null, CancellationToken.None));

        Assert.Contains("Input column 'malic_acid' is missing.", error.Errors);
    }

    [Fact]
    public void CancellationStopsALongFile()
    {
        var trained = TrainedModels.Get("LogisticRegression");
        var lines = File.ReadAllLines(trained.Data.TestPath);
        var input = Path.Combine(Path.GetTempPath(), $"dashai-batch-{Guid.NewGuid():N}.csv");
        var text = new StringBuilder(lines[0]).Append('\n');
        for (var i = 0; i < 5000; i++)
        {
            text.Append(lines[1 + (i % (lines.Length - 1))]).Append('\n');
        }

        File.WriteAllText(input, text.ToString());
        using var cancel = new CancellationTokenSource();
        var output = OutputPath();
        var progress = new SyncProgress<long>(rows =>
        {
            if (rows >= 2000)
            {
                cancel.Cancel();
            }
        });

        Assert.ThrowsAny<OperationCanceledException>(() =>
            BatchScorer.Score(trained.Loaded, input, DataLoaderCatalog.Csv, DataLoaderOptions.Default, output, progress, cancel.Token));
        Assert.False(File.Exists(output));
    }

    private static string OutputPath() => Path.Combine(Path.GetTempPath(), $"dashai-batch-out-{Guid.NewGuid():N}.csv");

    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public SyncProgress(List<T> sink)
            : this(sink.Add)
        {
        }

        public void Report(T value) => report(value);
    }
}

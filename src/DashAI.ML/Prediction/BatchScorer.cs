using System.Globalization;
using DashAI.ML.Data;
using DashAI.ML.Tasks;

namespace DashAI.ML.Prediction;

/// <summary>What a batch scoring wrote.</summary>
public sealed record BatchScoreResult(long Rows, IReadOnlyList<string> PredictionColumns, IReadOnlyList<string> Warnings);

/// <summary>
/// Scores a whole file row by row and writes the input rows plus the prediction columns as CSV, streaming: one row is
/// held at a time, whatever the file's size. The file is read with the dataset upload's loaders (CSV with its
/// separator, header, encoding and decimal point; JSON records converted to CSV first), so a file that uploads as a
/// dataset scores, and so does a dataset's stored canonical split.
/// </summary>
public static class BatchScorer
{
    private const int ProgressEvery = 1000;

    /// <summary>
    /// Reads <paramref name="inputPath"/> (loader <paramref name="dataLoader"/>: <see cref="DataLoaderCatalog.Csv"/> or
    /// <see cref="DataLoaderCatalog.Json"/>) and writes canonical CSV to <paramref name="outputPath"/>: every column of
    /// the input as given, then <c>predicted_{output}</c> and, for classification, <c>probability_{class}</c> per class.
    /// <paramref name="progress"/> hears the rows scored so far every <see cref="ProgressEvery"/> rows and at the end.
    /// A missing input column or a value of the wrong type is an <see cref="InvalidInputException"/> listing the
    /// problems (up to <see cref="PredictionInputs.MaxProblems"/>).
    /// </summary>
    public static BatchScoreResult Score(
        PredictionModel model,
        string inputPath,
        string dataLoader,
        DataLoaderOptions options,
        string outputPath,
        IProgress<long>? progress,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputPath);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(outputPath);
        if (dataLoader == DataLoaderCatalog.Json)
        {
            var converted = outputPath + $".records-{Guid.NewGuid():N}.csv";
            try
            {
                JsonRecordsConverter.Convert(inputPath, options.DataKey, converted, cancellationToken);
                return ScoreCsv(model, converted, JsonRecordsConverter.CsvOptions, outputPath, progress, cancellationToken);
            }
            finally
            {
                File.Delete(converted);
            }
        }

        if (dataLoader != DataLoaderCatalog.Csv)
        {
            throw new InvalidInputException($"Unknown dataloader '{dataLoader}'; use {DataLoaderCatalog.Csv} or {DataLoaderCatalog.Json}.");
        }

        return ScoreCsv(model, inputPath, options, outputPath, progress, cancellationToken);
    }

    /// <summary>The prediction columns written after the input columns, named apart from them.</summary>
    public static IReadOnlyList<string> PredictionColumnNames(PredictionModel model, IReadOnlyCollection<string> inputNames)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputNames);
        var taken = new HashSet<string>(inputNames, StringComparer.Ordinal);
        var names = new List<string> { Unique("predicted_" + model.Inputs.OutputColumn, taken) };
        if (model.Kind == TaskKind.Classification)
        {
            names.AddRange(model.ClassLabels.Select(label => Unique("probability_" + label, taken)));
        }

        return names;
    }

    private static BatchScoreResult ScoreCsv(
        PredictionModel model, string path, DataLoaderOptions options, string outputPath, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        if (new FileInfo(path).Length == 0)
        {
            throw new InvalidInputException("The file is empty.");
        }

        var inputs = model.Inputs;
        var problems = new PredictionInputs.Problems();
        long? firstProblemRow = null;
        var engine = model.RentEngine();
        try
        {
            using var reader = DatasetIngestor.OpenCsv(path, options, TextEncodings.Strict(options.Encoding));
            using var writer = new CanonicalCsvWriter(outputPath);
            int[]? positions = null;
            IReadOnlyList<string> warnings = [];
            IReadOnlyList<string> predictionColumns = [];
            var width = 0;
            long rows = 0;
            var probabilities = new float[model.ClassLabels.Count];
            var row = inputs.NewRow();
            foreach (var line in reader)
            {
                if (DatasetIngestor.IsBlank(line))
                {
                    continue;
                }

                if (positions is null)
                {
                    var names = DatasetIngestor.ColumnNames(line, options.Header);
                    (positions, warnings) = inputs.Match(names);
                    width = names.Length;
                    predictionColumns = PredictionColumnNames(model, names);
                    writer.WriteHeader(names.Concat(predictionColumns));
                    if (options.Header)
                    {
                        continue;
                    }
                }

                rows++;
                if (line.ColCount != width)
                {
                    problems.Add($"Row {rows} (line {line.LineNumberFrom}) has {line.ColCount} field{(line.ColCount == 1 ? "" : "s")} but the header has {width}.");
                    firstProblemRow ??= rows;
                    continue;
                }

                var valid = true;
                for (var c = 0; c < positions.Length; c++)
                {
                    var problem = inputs.Set(row, c, line[positions[c]].Span, rows, options.DecimalPoint);
                    if (problem is not null)
                    {
                        problems.Add(problem);
                        firstProblemRow ??= rows;
                        valid = false;
                    }
                }

                if ((rows & 0x3FF) == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }

                // After the first problem nothing more is written; the rest of the file is only checked.
                if (!valid || firstProblemRow is not null)
                {
                    continue;
                }

                for (var c = 0; c < width; c++)
                {
                    writer.Text(line[c].Span);
                    writer.Separator();
                }

                WritePrediction(writer, model, engine, row, probabilities);
                writer.EndRow();
                if (rows % ProgressEvery == 0)
                {
                    progress?.Report(rows);
                }
            }

            if (positions is null)
            {
                throw new InvalidInputException("The file has no rows.");
            }

            if (firstProblemRow is not null)
            {
                problems.ThrowIfAny(firstProblemRow);
            }

            progress?.Report(rows);
            return new BatchScoreResult(rows, predictionColumns, warnings);
        }
        catch
        {
            File.Delete(outputPath);
            throw;
        }
        finally
        {
            model.ReturnEngine(engine);
        }
    }

    private static void WritePrediction(CanonicalCsvWriter writer, PredictionModel model, ScoringEngine engine, InputRow row, float[] probabilities)
    {
        if (model.Kind == TaskKind.Regression)
        {
            writer.Raw(engine.Regress(row).ToString("R", CultureInfo.InvariantCulture));
            return;
        }

        engine.Classify(row, out var text, out var number, probabilities);
        if (model.NumericLabels)
        {
            if (number == Math.Floor(number) && Math.Abs(number) < 1e15)
            {
                writer.Integer((long)number);
            }
            else
            {
                writer.Float(number);
            }
        }
        else
        {
            writer.Text(text.Span);
        }

        foreach (var probability in probabilities)
        {
            writer.Separator();
            writer.Raw(probability.ToString("R", CultureInfo.InvariantCulture));
        }
    }

    private static string Unique(string name, HashSet<string> taken)
    {
        var candidate = name;
        while (!taken.Add(candidate))
        {
            candidate = "_" + candidate;
        }

        return candidate;
    }
}

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
    /// <summary>Rows read, then scored together and written; progress is reported after each chunk.</summary>
    private const int ChunkRows = 2048;

    /// <summary>Fewer rows than this per thread are scored on one thread (a thread costs more than it saves).</summary>
    private const int MinRowsPerThread = 256;

    /// <summary>
    /// Reads <paramref name="inputPath"/> (loader <paramref name="dataLoader"/>: <see cref="DataLoaderCatalog.Csv"/> or
    /// <see cref="DataLoaderCatalog.Json"/>) and writes canonical CSV to <paramref name="outputPath"/>: every column of
    /// the input as given, then <c>predicted_{output}</c> and, for classification, <c>probability_{class}</c> per class.
    /// <paramref name="progress"/> hears the rows scored and written so far after every chunk of <see cref="ChunkRows"/> rows.
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
        try
        {
            using var reader = DatasetIngestor.OpenCsv(path, options, TextEncodings.Strict(options.Encoding));
            using var writer = new CanonicalCsvWriter(outputPath);
            var chunk = new Chunk(model, ChunkRows);
            int[]? positions = null;
            IReadOnlyList<string> warnings = [];
            IReadOnlyList<string> predictionColumns = [];
            var width = 0;
            long rows = 0;
            long written = 0;
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

                var row = chunk.Next();
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

                // After the first problem nothing more is written; the rest of the file is only checked.
                if (!valid || firstProblemRow is not null)
                {
                    continue;
                }

                for (var c = 0; c < width; c++)
                {
                    chunk.AppendField(line[c].Span);
                }

                chunk.EndRow();
                if (chunk.IsFull)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    written += chunk.ScoreAndWrite(writer, cancellationToken);
                    progress?.Report(written);
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

            cancellationToken.ThrowIfCancellationRequested();
            written += chunk.ScoreAndWrite(writer, cancellationToken);
            progress?.Report(written);
            return new BatchScoreResult(written, predictionColumns, warnings);
        }
        catch
        {
            File.Delete(outputPath);
            throw;
        }
    }

    /// <summary>
    /// A few thousand rows between reading and writing: their input values, their input fields as CSV text, and their
    /// predictions. The rows are scored in parallel, each thread with an engine of its own from the model's pool (a
    /// batch job has its instance to itself, as a training does), and written in their order.
    /// </summary>
    private sealed class Chunk
    {
        private readonly PredictionModel _model;
        private readonly InputRow[] _rows;
        private readonly int[] _ends;
        private readonly string?[] _labels;
        private readonly float[] _values;
        private readonly float[] _probabilities;
        private readonly int _classes;
        private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _labelLookup;
        private char[] _text = new char[1 << 16];
        private int _textLength;

        public Chunk(PredictionModel model, int capacity)
        {
            _model = model;
            _rows = [.. Enumerable.Range(0, capacity).Select(_ => model.Inputs.NewRow())];
            _ends = new int[capacity];
            _labels = new string?[capacity];
            _values = new float[capacity];
            _classes = model.ClassLabels.Count;
            _probabilities = new float[capacity * Math.Max(1, _classes)];
            _labelLookup = model.ClassLabels.Distinct(StringComparer.Ordinal).ToDictionary(l => l, l => l, StringComparer.Ordinal)
                .GetAlternateLookup<ReadOnlySpan<char>>();
        }

        public int Count { get; private set; }

        public bool IsFull => Count == _rows.Length;

        /// <summary>The row to fill next; it joins the chunk at <see cref="EndRow"/>.</summary>
        public InputRow Next() => _rows[Count];

        /// <summary>Appends one input field as canonical CSV, followed by the separator before the next field.</summary>
        public void AppendField(ReadOnlySpan<char> field)
        {
            if (!FieldText.RequiresQuoting(field))
            {
                Append(field);
            }
            else
            {
                Append('"');
                foreach (var c in field)
                {
                    if (c == '"')
                    {
                        Append('"');
                    }

                    Append(c);
                }

                Append('"');
            }

            Append(',');
        }

        public void EndRow()
        {
            _ends[Count] = _textLength;
            Count++;
        }

        /// <summary>Scores the chunk's rows, writes them with their predictions and empties the chunk; returns the rows written.</summary>
        public int ScoreAndWrite(CanonicalCsvWriter writer, CancellationToken cancellationToken)
        {
            var count = Count;
            if (count == 0)
            {
                return 0;
            }

            var partitions = Math.Clamp(count / MinRowsPerThread, 1, Environment.ProcessorCount);
            Parallel.For(0, partitions, new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = partitions }, p =>
            {
                var engine = _model.RentEngine();
                try
                {
                    for (var i = count * p / partitions; i < count * (p + 1) / partitions; i++)
                    {
                        Score(engine, i);
                    }
                }
                finally
                {
                    _model.ReturnEngine(engine);
                }
            });

            for (var i = 0; i < count; i++)
            {
                var start = i == 0 ? 0 : _ends[i - 1];
                writer.Raw(_text.AsSpan(start, _ends[i] - start));
                WritePrediction(writer, i);
                writer.EndRow();
            }

            Count = 0;
            _textLength = 0;
            return count;
        }

        private void Score(ScoringEngine engine, int i)
        {
            if (_model.Kind == TaskKind.Regression)
            {
                _values[i] = engine.Regress(_rows[i]);
                return;
            }

            engine.Classify(_rows[i], out var text, out var number, _probabilities.AsSpan(i * _classes, _classes));
            _values[i] = number;
            _labels[i] = _model.NumericLabels ? null : _labelLookup.TryGetValue(text.Span, out var known) ? known : text.ToString();
        }

        private void WritePrediction(CanonicalCsvWriter writer, int i)
        {
            Span<char> number = stackalloc char[32];
            if (_model.Kind == TaskKind.Regression)
            {
                _values[i].TryFormat(number, out var written, "R", CultureInfo.InvariantCulture);
                writer.Raw(number[..written]);
                return;
            }

            if (!_model.NumericLabels)
            {
                writer.Text(_labels[i]);
            }
            else if (_values[i] == MathF.Floor(_values[i]) && MathF.Abs(_values[i]) < 1e15f)
            {
                writer.Integer((long)_values[i]);
            }
            else
            {
                writer.Float(_values[i]);
            }

            foreach (var probability in _probabilities.AsSpan(i * _classes, _classes))
            {
                writer.Separator();
                probability.TryFormat(number, out var length, "R", CultureInfo.InvariantCulture);
                writer.Raw(number[..length]);
            }
        }

        private void Append(char c)
        {
            if (_textLength == _text.Length)
            {
                Array.Resize(ref _text, _text.Length * 2);
            }

            _text[_textLength++] = c;
        }

        private void Append(ReadOnlySpan<char> text)
        {
            if (_textLength + text.Length > _text.Length)
            {
                Array.Resize(ref _text, Math.Max(_text.Length * 2, _textLength + text.Length));
            }

            text.CopyTo(_text.AsSpan(_textLength));
            _textLength += text.Length;
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

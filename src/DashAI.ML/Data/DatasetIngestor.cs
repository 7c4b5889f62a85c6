using System.Globalization;
using System.Text;
using nietras.SeparatedValues;

namespace DashAI.ML.Data;

/// <summary>What ingestion produced: the schema, row counts, and the split files it wrote.</summary>
/// <param name="SplitFiles">Split name (<see cref="SplitNames"/>) to the full path of its canonical CSV file.</param>
public sealed record IngestResult(
    DatasetSchema Schema,
    long Rows,
    IReadOnlyDictionary<string, long> RowsPerSplit,
    IReadOnlyDictionary<string, string> SplitFiles);

/// <summary>
/// Turns an uploaded file into a typed schema and three split files, streaming: the file is read
/// twice (pass 1 profiles columns and counts classes; pass 2 assigns each row its split and writes
/// it) and never held whole in memory. Memory is bounded by the column profiles and one byte per row.
/// </summary>
/// <remarks>
/// Splits are written as canonical CSV because that is the fast read for training: ML.NET's
/// <c>TextLoader</c> streams delimited text straight into typed columns when it is given the column
/// types, and the types come from the stored <see cref="DatasetSchema"/> — no re-inference, no
/// per-dialect options (one separator, '.' decimals, empty = missing, true/false booleans), and no
/// conversion library between the blob and the trainer. Text fields may hold quoted line breaks, so
/// the loader is configured with quoting and multi-line reads on.
/// </remarks>
public static class DatasetIngestor
{
    private const int CancellationCheckMask = 0xFFF;

    /// <summary>
    /// Reads <paramref name="sourcePath"/> with the request's dataloader, infers column types, validates,
    /// splits, and writes train.csv, validation.csv and test.csv into <paramref name="outputDirectory"/>.
    /// </summary>
    /// <param name="outputDirectory">Created if absent; should belong to this call alone. On failure the split files are removed.</param>
    /// <exception cref="InvalidInputException">The file or the request has a problem the user can fix; <see cref="InvalidInputException.Row"/> says where when it can.</exception>
    /// <exception cref="OperationCanceledException">Cancellation was requested (checked every few thousand rows).</exception>
    public static IngestResult Ingest(string sourcePath, IngestRequest request, string outputDirectory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sourcePath);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(outputDirectory);
        var problems = request.Validate();
        if (problems.Count > 0)
        {
            throw new InvalidInputException(problems);
        }

        Directory.CreateDirectory(outputDirectory);
        var splitFiles = SplitNames.All.ToDictionary(name => name, name => Path.Combine(outputDirectory, name + ".csv"));
        try
        {
            if (request.DataLoader == DataLoaderCatalog.Json)
            {
                var converted = Path.Combine(outputDirectory, $".records-{Guid.NewGuid():N}.csv");
                try
                {
                    JsonRecordsConverter.Convert(sourcePath, request.LoaderOptions.DataKey, converted, cancellationToken);
                    return IngestCsv(converted, JsonRecordsConverter.CsvOptions, request, splitFiles, cancellationToken);
                }
                finally
                {
                    File.Delete(converted);
                }
            }

            return IngestCsv(sourcePath, request.LoaderOptions, request, splitFiles, cancellationToken);
        }
        catch
        {
            foreach (var file in splitFiles.Values)
            {
                File.Delete(file);
            }

            throw;
        }
    }

    private static IngestResult IngestCsv(
        string path,
        DataLoaderOptions options,
        IngestRequest request,
        Dictionary<string, string> splitFiles,
        CancellationToken cancellationToken)
    {
        if (new FileInfo(path).Length == 0)
        {
            throw new InvalidInputException("The file is empty.");
        }

        var profile = Profile(path, options, cancellationToken);
        var profilers = profile.Columns;
        var outputs = ResolveOutputs(profilers, request.OutputColumns);
        var columns = profilers.Select(p => p.ToColumnInfo()).ToList();
        var schema = new DatasetSchema(
            columns,
            columns.Select(c => c.Name).Where(n => !outputs.Contains(n)).ToList(),
            outputs);

        var labelErrors = outputs
            .Select(name => profilers.First(p => p.Name == name))
            .Where(p => p.MissingCount > 0)
            .ToList();
        if (labelErrors.Count > 0)
        {
            var first = labelErrors.MinBy(p => p.FirstMissingRow)!;
            throw new InvalidInputException(
                labelErrors.Select(p => $"Output column '{p.Name}' has {p.MissingCount} missing value{(p.MissingCount == 1 ? "" : "s")} (first at row {p.FirstMissingRow}); fill or remove those rows.").ToList(),
                first.FirstMissingRow);
        }

        var (strata, stratumColumn) = Strata(profilers, outputs, profile.Rows, request.Splits.Stratify);
        var plan = SplitPlan.Create(strata, request.Splits, request.Splits.Stratify);
        var types = columns.Select(c => c.Type).ToArray();
        Write(path, options, profile, types, plan, strata, stratumColumn, splitFiles, cancellationToken);

        var rowsPerSplit = new Dictionary<string, long>
        {
            [SplitNames.Train] = plan.RowsPerSplit[SplitPlan.Train],
            [SplitNames.Validation] = plan.RowsPerSplit[SplitPlan.Validation],
            [SplitNames.Test] = plan.RowsPerSplit[SplitPlan.Test],
        };
        return new IngestResult(schema, profile.Rows, rowsPerSplit, splitFiles);
    }

    private sealed record FileProfile(ColumnProfiler[] Columns, long Rows);

    private static FileProfile Profile(string path, DataLoaderOptions options, CancellationToken cancellationToken)
    {
        ColumnProfiler[]? profilers = null;
        long rows = 0;
        try
        {
            using var reader = OpenCsv(path, options, TextEncodings.Strict(options.Encoding));
            foreach (var row in reader)
            {
                if (IsBlank(row))
                {
                    continue;
                }

                if (profilers is null)
                {
                    var names = ColumnNames(row, options.Header);
                    var distinctCap = ColumnProfiler.DistinctCapFor(names.Length);
                    profilers = names.Select(n => new ColumnProfiler(n, options.DecimalPoint, distinctCap)).ToArray();
                    if (options.Header)
                    {
                        continue;
                    }
                }

                rows++;

                // A quote that is never closed swallows the rest of the file into one multi-line row;
                // its quotes are then odd in number. Only multi-line rows are checked (they are rare),
                // and before any column access, since unescaping rewrites the row in place.
                if (row.LineNumberToExcl - row.LineNumberFrom > 1 && row.Span.Count('"') % 2 != 0)
                {
                    throw new InvalidInputException(
                        [$"Row {rows} (line {row.LineNumberFrom}) opens a quoted field that is never closed."], rows);
                }

                if (row.ColCount != profilers.Length)
                {
                    throw Ragged(row, rows, profilers.Length, options.Header);
                }

                for (var i = 0; i < profilers.Length; i++)
                {
                    profilers[i].Add(row[i].Span, rows);
                }

                if ((rows & CancellationCheckMask) == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }
            }
        }
        catch (DecoderFallbackException ex)
        {
            throw Undecodable(path, options, ex);
        }

        if (profilers is null)
        {
            throw new InvalidInputException("The file is empty.");
        }

        if (rows == 0)
        {
            throw new InvalidInputException("The file has a header but no data rows.");
        }

        return new FileProfile(profilers, rows);
    }

    private static void Write(
        string path,
        DataLoaderOptions options,
        FileProfile profile,
        ColumnType[] types,
        SplitPlan plan,
        List<(string Name, long Rows)> strata,
        int stratumColumn,
        Dictionary<string, string> splitFiles,
        CancellationToken cancellationToken)
    {
        var writers = new CanonicalCsvWriter[SplitNames.All.Count];
        try
        {
            for (var i = 0; i < writers.Length; i++)
            {
                writers[i] = new CanonicalCsvWriter(splitFiles[SplitNames.All[i]]);
                writers[i].WriteHeader(profile.Columns.Select(c => c.Name));
            }

            var strataIndex = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var s = 0; s < strata.Count; s++)
            {
                strataIndex[strata[s].Name] = s;
            }

            var lookup = strataIndex.GetAlternateLookup<ReadOnlySpan<char>>();
            var decimalPoint = options.DecimalPoint;
            var columnCount = types.Length;
            var headerPending = options.Header;
            long rows = 0;
            using var reader = OpenCsv(path, options, TextEncodings.Strict(options.Encoding));
            foreach (var row in reader)
            {
                if (IsBlank(row))
                {
                    continue;
                }

                if (headerPending)
                {
                    headerPending = false;
                    continue;
                }

                rows++;
                var stratum = stratumColumn < 0 ? 0 : lookup[row[stratumColumn].Span];
                var writer = writers[plan.Next(stratum)];
                for (var i = 0; i < columnCount; i++)
                {
                    if (i > 0)
                    {
                        writer.Separator();
                    }

                    WriteField(writer, row[i].Span, types[i], decimalPoint);
                }

                writer.EndRow();
                if ((rows & CancellationCheckMask) == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }
            }
        }
        finally
        {
            foreach (var writer in writers)
            {
                writer?.Dispose();
            }
        }
    }

    private static void WriteField(CanonicalCsvWriter writer, ReadOnlySpan<char> field, ColumnType type, char decimalPoint)
    {
        if (FieldText.IsMissing(field))
        {
            return;
        }

        switch (type)
        {
            case ColumnType.Integer:
                if (FieldText.ClassifyNumber(field, decimalPoint) == NumberShape.PlainInteger)
                {
                    writer.Raw(field);
                }
                else
                {
                    writer.Integer(long.Parse(field, NumberStyles.Integer, CultureInfo.InvariantCulture));
                }

                break;
            case ColumnType.Float:
                switch (FieldText.ClassifyNumber(field, decimalPoint))
                {
                    case NumberShape.PlainInteger:
                        writer.Raw(field);
                        break;
                    case NumberShape.PlainFloat when decimalPoint == '.':
                        writer.Raw(field);
                        break;
                    case NumberShape.PlainFloat:
                        writer.RawReplacingDecimalComma(field);
                        break;
                    default:
                        FieldText.TryParseDouble(field, decimalPoint, out var value);
                        writer.Float(value);
                        break;
                }

                break;
            case ColumnType.Boolean:
                // Pass 1 proved every value of a boolean column parses.
                writer.Raw(FieldText.TryParseBoolean(field, out var flag) && flag ? "true" : "false");
                break;
            default:
                writer.Text(field);
                break;
        }
    }

    private static (List<(string Name, long Rows)> Strata, int Column) Strata(
        ColumnProfiler[] profilers, List<string> outputs, long rows, bool stratify)
    {
        if (!stratify)
        {
            return ([("all", rows)], -1);
        }

        if (outputs.Count != 1)
        {
            throw new InvalidInputException($"stratify needs exactly one output column (got {outputs.Count}).");
        }

        var column = Array.FindIndex(profilers, p => p.Name == outputs[0]);
        var counts = profilers[column].ValueCounts;
        if (counts is null || counts.Count > ColumnProfiler.MaxCategories)
        {
            throw new InvalidInputException(
                $"stratify needs a class label, but output column '{outputs[0]}' has more than {ColumnProfiler.MaxCategories} distinct values; turn stratify off for regression targets.");
        }

        // Ordinal order, not first-seen order, so the plan depends only on the classes and their counts.
        var strata = counts.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => (kv.Key, kv.Value)).ToList();
        return (strata, column);
    }

    private static List<string> ResolveOutputs(ColumnProfiler[] profilers, IReadOnlyList<string> requested)
    {
        if (requested.Count == 0)
        {
            return [profilers[^1].Name];
        }

        var names = profilers.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var missing = requested.Where(r => !names.Contains(r)).ToList();
        if (missing.Count > 0)
        {
            var available = string.Join(", ", profilers.Take(30).Select(p => $"'{p.Name}'")) + (profilers.Length > 30 ? ", ..." : "");
            throw new InvalidInputException(
                missing.Select(m => $"Output column '{m}' is not in the dataset (columns: {available}).").ToList());
        }

        if (requested.Count == profilers.Length)
        {
            throw new InvalidInputException("Every column is an output column; at least one input column is needed.");
        }

        return [.. requested];
    }

    internal static string[] ColumnNames(SepReader.Row row, bool header)
    {
        var names = new string[row.ColCount];
        if (!header)
        {
            for (var i = 0; i < names.Length; i++)
            {
                names[i] = $"column_{i}";
            }

            return names;
        }

        var empty = new List<int>();
        for (var i = 0; i < names.Length; i++)
        {
            names[i] = row[i].Span.Trim().ToString();
            if (names[i].Length == 0)
            {
                empty.Add(i + 1);
            }
        }

        // A made-up name would be shown, stored and used for training as if the user had chosen it.
        if (empty.Count > 0)
        {
            throw new InvalidInputException(empty.Count == 1
                ? $"Column {empty[0]} of the header is empty; give it a name or remove the column (a trailing separator or an unnamed index column leaves one)."
                : $"Columns {string.Join(", ", empty)} of the header are empty; give them names or remove those columns (a trailing separator or an unnamed index column leaves one).");
        }

        var duplicates = names
            .Select((name, index) => (name, index))
            .GroupBy(x => x.name, StringComparer.Ordinal)
            .Where(g => g.Count() > 1)
            .Select(g => $"The header names column '{g.Key}' more than once (columns {string.Join(", ", g.Select(x => x.index + 1))}); column names must be unique.")
            .ToList();
        if (duplicates.Count > 0)
        {
            throw new InvalidInputException(duplicates);
        }

        return names;
    }

    // Blank lines are skipped, as pandas does; in a one-column file a missing value must therefore be
    // written as "" or a token such as NA.
    internal static bool IsBlank(SepReader.Row row) => row.ColCount == 1 && row.Span.IsEmpty;

    private static InvalidInputException Ragged(SepReader.Row row, long dataRow, int expected, bool header) =>
        new(
            [$"Row {dataRow} (line {row.LineNumberFrom}) has {row.ColCount} field{(row.ColCount == 1 ? "" : "s")} but {(header ? "the header has" : "the first row has")} {expected}; check the separator and quoting."],
            dataRow);

    internal static SepReader OpenCsv(string path, DataLoaderOptions options, Encoding encoding)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        var text = new StreamReader(stream, encoding, detectEncodingFromByteOrderMarks: false, bufferSize: 1 << 16);
        try
        {
            return Sep.New(options.Separator).Reader(o => o with
            {
                HasHeader = false,
                Unescape = true,
                DisableColCountCheck = true,
                CultureInfo = CultureInfo.InvariantCulture,
            }).From(text);
        }
        catch
        {
            text.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Strict decoding failed somewhere in a read-ahead buffer; find the row by reading again with
    /// replacement characters and reporting the first row that holds one.
    /// </summary>
    private static InvalidInputException Undecodable(string path, DataLoaderOptions options, DecoderFallbackException ex)
    {
        var hint = $"save the file as UTF-8 or set dataloader_params.encoding to the one it uses ({string.Join(", ", TextEncodings.Names)})";
        using var reader = OpenCsv(path, options, TextEncodings.Lenient(options.Encoding));
        var headerPending = options.Header;
        long rows = 0;
        foreach (var row in reader)
        {
            if (IsBlank(row))
            {
                continue;
            }

            var bad = row.Span.Contains('\uFFFD');
            if (headerPending)
            {
                headerPending = false;
                if (bad)
                {
                    return new InvalidInputException([$"The header holds bytes that are not valid {options.Encoding} text; {hint}."]);
                }

                continue;
            }

            rows++;
            if (bad)
            {
                return new InvalidInputException([$"Row {rows} (line {row.LineNumberFrom}) holds bytes that are not valid {options.Encoding} text; {hint}."], rows);
            }
        }

        return new InvalidInputException($"The file holds bytes that are not valid {options.Encoding} text; {hint}.", ex);
    }
}

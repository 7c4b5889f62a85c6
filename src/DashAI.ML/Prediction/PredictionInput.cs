using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DashAI.ML.Data;
using nietras.SeparatedValues;

namespace DashAI.ML.Prediction;

/// <summary>One row to score: a value for every input column of the model, in <see cref="PredictionInputs.Columns"/> order.</summary>
public sealed class InputRow
{
    internal InputRow(int columns)
    {
        Numbers = new float[columns];
        Texts = new ReadOnlyMemory<char>[columns];
    }

    /// <summary>Integer and float columns: the value, NaN when missing (what the training split held).</summary>
    internal float[] Numbers { get; }

    /// <summary>Boolean, categorical and text columns: the value, empty when missing.</summary>
    internal ReadOnlyMemory<char>[] Texts { get; }
}

/// <summary>More rows than one request may hold.</summary>
public sealed class RowLimitException : Exception
{
    public RowLimitException(int limit)
        : base($"More than {limit} rows.")
    {
        Limit = limit;
    }

    public RowLimitException()
        : this(0)
    {
    }

    public RowLimitException(string message)
        : base(message)
    {
    }

    public RowLimitException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public int Limit { get; }
}

/// <summary>Rows that passed the check against the dataset's schema, and what was ignored on the way.</summary>
public sealed record CheckedRows(IReadOnlyList<InputRow> Rows, IReadOnlyList<string> Warnings);

/// <summary>
/// The model's input columns as the dataset's stored schema defines them, and the rules that turn given fields into
/// the values training read: a field is read as ingestion wrote it to the canonical splits (the same missing-value
/// spellings become missing, numbers parse with the file's decimal point, booleans are true/false in any case,
/// categories and text are taken as they are). A missing value stays missing, so the model treats it as training
/// did (numbers: the training mean; categories: the all-zero one-hot of an unseen value).
/// </summary>
public sealed class PredictionInputs
{
    /// <summary>At most this many problems are listed; the last message says how many more there were.</summary>
    public const int MaxProblems = 1000;

    private readonly Dictionary<string, int> _index;

    public PredictionInputs(DatasetSchema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        if (schema.OutputColumns.Count != 1)
        {
            throw new InvalidInputException($"The dataset has {schema.OutputColumns.Count} output columns; a model predicts one.");
        }

        // Columns order: the order of the split files, which is the order of the model's saved input schema.
        Columns = [.. schema.Columns.Where(c => schema.InputColumns.Contains(c.Name, StringComparer.Ordinal))];
        OutputColumn = schema.OutputColumns[0];
        _index = Columns.Select((c, i) => (c.Name, i)).ToDictionary(p => p.Name, p => p.i, StringComparer.Ordinal);
    }

    public IReadOnlyList<ColumnInfo> Columns { get; }

    public string OutputColumn { get; }

    /// <summary>
    /// Matches the given column names to the inputs: the position of each input among <paramref name="given"/>, and a
    /// warning for each given column the model does not read (the output column, or one it does not know). Every
    /// missing input is named in one <see cref="InvalidInputException"/>.
    /// </summary>
    public (int[] Positions, IReadOnlyList<string> Warnings) Match(IReadOnlyList<string> given)
    {
        ArgumentNullException.ThrowIfNull(given);
        var positions = new int[Columns.Count];
        Array.Fill(positions, -1);
        var warnings = new List<string>();
        for (var i = 0; i < given.Count; i++)
        {
            if (_index.TryGetValue(given[i], out var input))
            {
                if (positions[input] < 0)
                {
                    positions[input] = i;
                }
            }
            else if (given[i] == OutputColumn)
            {
                warnings.Add($"Column '{given[i]}' is the model's output column; its values were ignored.");
            }
            else
            {
                warnings.Add($"Column '{given[i]}' is not an input of the model; it was ignored.");
            }
        }

        var missing = Columns.Where((_, i) => positions[i] < 0).Select(c => $"Input column '{c.Name}' is missing.").ToList();
        if (missing.Count > 0)
        {
            throw new InvalidInputException(missing);
        }

        return (positions, warnings);
    }

    /// <summary>A new row with every value missing.</summary>
    public InputRow NewRow()
    {
        var row = new InputRow(Columns.Count);
        Array.Fill(row.Numbers, float.NaN);
        return row;
    }

    /// <summary>
    /// Stores one field as input <paramref name="column"/> of <paramref name="row"/>; returns the problem when the
    /// field cannot be that column's type (null when it is fine). <paramref name="rowNumber"/> is 1-based.
    /// </summary>
    public string? Set(InputRow row, int column, ReadOnlySpan<char> field, long rowNumber, char decimalPoint = '.')
    {
        ArgumentNullException.ThrowIfNull(row);
        var info = Columns[column];
        if (FieldText.IsMissing(field))
        {
            row.Numbers[column] = float.NaN;
            row.Texts[column] = ReadOnlyMemory<char>.Empty;
            return null;
        }

        switch (info.Type)
        {
            case ColumnType.Integer:
            case ColumnType.Float:
                if (FieldText.TryParseSingle(field.Trim(), decimalPoint, out var number))
                {
                    row.Numbers[column] = number;
                    return null;
                }

                return $"Row {rowNumber}, column '{info.Name}': '{Shorten(field)}' is not a number.";
            case ColumnType.Boolean:
                if (FieldText.TryParseBoolean(field, out var flag))
                {
                    row.Texts[column] = flag ? "true".AsMemory() : "false".AsMemory();
                    return null;
                }

                return $"Row {rowNumber}, column '{info.Name}': '{Shorten(field)}' is not true or false.";
            default:
                row.Texts[column] = field.ToString().AsMemory();
                return null;
        }
    }

    /// <summary>
    /// Checks request rows given as JSON objects (column → value). A value is read as the JSON dataloader reads a
    /// record: a number as written, a string as is, true/false, null as missing; a key a record leaves out is missing
    /// there, and a column no record holds is a missing input. Every problem is listed (up to <see cref="MaxProblems"/>).
    /// </summary>
    public CheckedRows CheckJson(JsonArray rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var problems = new Problems();
        var seen = new List<string>();
        var seenSet = new HashSet<string>(StringComparer.Ordinal);
        for (var r = 0; r < rows.Count; r++)
        {
            if (rows[r] is JsonObject record)
            {
                foreach (var (key, _) in record)
                {
                    if (seenSet.Add(key))
                    {
                        seen.Add(key);
                    }
                }
            }
            else
            {
                problems.Add($"Row {r + 1} is not an object of column values.");
            }
        }

        var (_, warnings) = Match(rows.Count == 0 ? [.. Columns.Select(c => c.Name)] : seen);
        var checkedRows = new List<InputRow>(rows.Count);
        for (var r = 0; r < rows.Count; r++)
        {
            if (rows[r] is not JsonObject record)
            {
                continue;
            }

            var row = NewRow();
            for (var c = 0; c < Columns.Count; c++)
            {
                if (!record.TryGetPropertyValue(Columns[c].Name, out var node) || node is null)
                {
                    continue;
                }

                if (node is not JsonValue value)
                {
                    problems.Add($"Row {r + 1}, column '{Columns[c].Name}': {(node is JsonArray ? "a list" : "an object")} is not a value.");
                    continue;
                }

                problems.Add(Set(row, c, FieldOf(value), r + 1));
            }

            checkedRows.Add(row);
        }

        problems.ThrowIfAny();
        return new CheckedRows(checkedRows, warnings);
    }

    /// <summary>
    /// Checks rows given as comma-separated text with a header row (RFC 4180 quoting, '.' decimals); more than
    /// <paramref name="maxRows"/> rows is a <see cref="RowLimitException"/>.
    /// </summary>
    public CheckedRows CheckCsv(TextReader text, int maxRows = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(text);
        var problems = new Problems();
        var checkedRows = new List<InputRow>();
        int[]? positions = null;
        IReadOnlyList<string> warnings = [];
        var width = 0;
        long rowNumber = 0;
        using var reader = Sep.New(',').Reader(o => o with
        {
            HasHeader = false,
            Unescape = true,
            DisableColCountCheck = true,
            CultureInfo = CultureInfo.InvariantCulture,
        }).From(text);
        foreach (var row in reader)
        {
            if (row.ColCount == 1 && row.Span.IsEmpty)
            {
                continue;
            }

            if (positions is null)
            {
                var names = new string[row.ColCount];
                for (var i = 0; i < names.Length; i++)
                {
                    names[i] = row[i].ToString();
                }

                (positions, warnings) = Match(names);
                width = names.Length;
                continue;
            }

            rowNumber++;
            if (rowNumber > maxRows)
            {
                throw new RowLimitException(maxRows);
            }

            if (row.ColCount != width)
            {
                problems.Add($"Row {rowNumber} has {row.ColCount} field{(row.ColCount == 1 ? "" : "s")} but the header has {width}.");
                continue;
            }

            var input = NewRow();
            for (var c = 0; c < positions.Length; c++)
            {
                problems.Add(Set(input, c, row[positions[c]].Span, rowNumber));
            }

            checkedRows.Add(input);
        }

        if (positions is null)
        {
            throw new InvalidInputException("The CSV body has no header row.");
        }

        problems.ThrowIfAny();
        return new CheckedRows(checkedRows, warnings);
    }

    /// <summary>The text of a JSON value as the JSON dataloader writes it to its CSV.</summary>
    private static ReadOnlySpan<char> FieldOf(JsonValue value) => value.GetValueKind() switch
    {
        JsonValueKind.String => value.GetValue<string>(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Null => "",
        _ => value.ToJsonString(),
    };

    private static string Shorten(ReadOnlySpan<char> field) => field.Length <= 40 ? field.ToString() : string.Concat(field[..40], "…");

    /// <summary>Collects problems up to <see cref="MaxProblems"/> and counts the rest.</summary>
    internal sealed class Problems
    {
        private readonly List<string> _messages = [];
        private long _dropped;

        public int Count => _messages.Count;

        public void Add(string? problem)
        {
            if (problem is null)
            {
                return;
            }

            if (_messages.Count < MaxProblems)
            {
                _messages.Add(problem);
            }
            else
            {
                _dropped++;
            }
        }

        public void ThrowIfAny(long? row = null)
        {
            if (_messages.Count == 0)
            {
                return;
            }

            var messages = _messages.ToList();
            if (_dropped > 0)
            {
                messages.Add($"… and {_dropped} more problem{(_dropped == 1 ? "" : "s")}.");
            }

            throw new InvalidInputException(messages, row);
        }
    }
}

using DashAI.ML.Data;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace DashAI.ML.Explainers;

/// <summary>
/// Rows of a dataset's raw input columns held in memory, as the saved model reads them: numbers as
/// <c>float</c> (NaN is missing), every other column as text ("" is missing). Column order is
/// <see cref="DatasetSchema.InputColumns"/> order. Classification rows carry the class index of their
/// label (in the run's class order), regression rows the number.
/// </summary>
internal sealed class RowTable
{
    private readonly float[]?[] _numbers;
    private readonly ReadOnlyMemory<char>[]?[] _texts;

    public RowTable(DatasetSchema schema, int capacity)
    {
        ArgumentNullException.ThrowIfNull(schema);
        Columns = [.. schema.InputColumns.Select(name => schema[name])];
        _numbers = new float[Columns.Count][];
        _texts = new ReadOnlyMemory<char>[Columns.Count][];
        for (var c = 0; c < Columns.Count; c++)
        {
            if (IsNumeric(c))
            {
                _numbers[c] = new float[capacity];
            }
            else
            {
                _texts[c] = new ReadOnlyMemory<char>[capacity];
            }
        }

        Labels = new double[capacity];
        Capacity = capacity;
    }

    public IReadOnlyList<ColumnInfo> Columns { get; }

    public int Capacity { get; }

    /// <summary>The rows filled so far.</summary>
    public int Count { get; set; }

    /// <summary>The class index (classification) or the number (regression) of each row's label; NaN when unknown.</summary>
    public double[] Labels { get; }

    public bool IsNumeric(int column) => Columns[column].Type is ColumnType.Integer or ColumnType.Float;

    public float[] Numbers(int column) => _numbers[column] ?? throw new InvalidOperationException($"Column '{Columns[column].Name}' holds text.");

    public ReadOnlyMemory<char>[] Texts(int column) => _texts[column] ?? throw new InvalidOperationException($"Column '{Columns[column].Name}' holds numbers.");

    public int IndexOf(string column)
    {
        for (var c = 0; c < Columns.Count; c++)
        {
            if (Columns[c].Name == column)
            {
                return c;
            }
        }

        return -1;
    }

    /// <summary>Copies row <paramref name="from"/> of <paramref name="source"/> (same columns) into row <paramref name="to"/>.</summary>
    public void CopyRow(RowTable source, int from, int to)
    {
        ArgumentNullException.ThrowIfNull(source);
        for (var c = 0; c < Columns.Count; c++)
        {
            if (IsNumeric(c))
            {
                Numbers(c)[to] = source.Numbers(c)[from];
            }
            else
            {
                Texts(c)[to] = source.Texts(c)[from];
            }
        }

        Labels[to] = source.Labels[from];
    }

    /// <summary>The rows of <paramref name="first"/> followed by those of <paramref name="second"/>.</summary>
    public static RowTable Concat(DatasetSchema schema, RowTable first, RowTable second)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        var table = new RowTable(schema, first.Count + second.Count) { Count = first.Count + second.Count };
        for (var i = 0; i < first.Count; i++)
        {
            table.CopyRow(first, i, i);
        }

        for (var i = 0; i < second.Count; i++)
        {
            table.CopyRow(second, i, first.Count + i);
        }

        return table;
    }

    /// <summary>
    /// Draws up to <paramref name="maxRows"/> rows of a canonical CSV split uniformly at random (a reservoir
    /// sample, seeded: the same file and seed give the same rows) as the file streams past, so memory is
    /// bounded by the sample. With <paramref name="labelled"/> only rows whose label has a value are drawn,
    /// and each keeps its label (class index by <paramref name="classLabels"/>; a label the run never saw is
    /// an <see cref="InvalidInputException"/>).
    /// </summary>
    public static RowTable Sample(
        MLContext mlContext, DatasetSchema schema, string path, int maxRows, int seed, bool labelled, ClassLabelIndex? classLabels, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(schema);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Split file '{path}' does not exist.", path);
        }

        var data = CanonicalCsv.Load(mlContext, schema, path);
        var table = new RowTable(schema, maxRows);
        var output = schema.OutputColumns[0];
        var outputNumeric = schema[output].Type is ColumnType.Integer or ColumnType.Float;
        var inputColumns = table.Columns.Select(c => data.Schema[c.Name]).ToList();
        var outputColumn = data.Schema[output];
        using var cursor = data.GetRowCursor([.. inputColumns, outputColumn]);
        var numberGetters = inputColumns.Select((c, i) => table.IsNumeric(i) ? cursor.GetGetter<float>(c) : null).ToArray();
        var textGetters = inputColumns.Select((c, i) => table.IsNumeric(i) ? null : cursor.GetGetter<ReadOnlyMemory<char>>(c)).ToArray();
        var labelNumber = outputNumeric ? cursor.GetGetter<float>(outputColumn) : null;
        var labelText = outputNumeric ? null : cursor.GetGetter<ReadOnlyMemory<char>>(outputColumn);
        var random = new Random(seed);
        long seen = 0;
        float number = 0;
        ReadOnlyMemory<char> text = default;
        while (cursor.MoveNext())
        {
            if ((seen & 4095) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            var label = double.NaN;
            if (labelled)
            {
                if (outputNumeric)
                {
                    labelNumber!(ref number);
                    if (float.IsNaN(number))
                    {
                        continue;
                    }

                    label = classLabels is null ? number : classLabels.IndexOf(number);
                }
                else
                {
                    labelText!(ref text);
                    if (text.Span.IsWhiteSpace())
                    {
                        continue;
                    }

                    label = classLabels?.IndexOf(text.ToString()) ?? double.NaN;
                }
            }

            seen++;
            int slot;
            if (seen <= maxRows)
            {
                slot = (int)(seen - 1);
            }
            else
            {
                var pick = random.NextInt64(seen);
                if (pick >= maxRows)
                {
                    continue;
                }

                slot = (int)pick;
            }

            for (var c = 0; c < table.Columns.Count; c++)
            {
                if (numberGetters[c] is { } getNumber)
                {
                    getNumber(ref number);
                    table.Numbers(c)[slot] = number;
                }
                else
                {
                    textGetters[c]!(ref text);
                    // The cursor reuses its buffers: keep a copy.
                    table.Texts(c)[slot] = text.ToString().AsMemory();
                }
            }

            table.Labels[slot] = label;
        }

        table.Count = (int)Math.Min(seen, maxRows);
        return table;
    }
}

/// <summary>The class order of a run (its "class_labels" artifact): finds a label's index.</summary>
internal sealed class ClassLabelIndex
{
    private readonly Dictionary<string, int> _byText = new(StringComparer.Ordinal);
    private readonly Dictionary<float, int> _byNumber = [];

    public ClassLabelIndex(IReadOnlyList<string> labels, string outputColumn)
    {
        ArgumentNullException.ThrowIfNull(labels);
        Labels = labels;
        OutputColumn = outputColumn;
        for (var i = 0; i < labels.Count; i++)
        {
            _byText[labels[i]] = i;
            if (float.TryParse(labels[i], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var number))
            {
                _byNumber.TryAdd(number, i);
            }
        }
    }

    public IReadOnlyList<string> Labels { get; }

    public string OutputColumn { get; }

    public int Count => Labels.Count;

    public int IndexOf(string label) =>
        _byText.TryGetValue(label, out var index)
            ? index
            : throw Unseen(label);

    public int IndexOf(float label) =>
        _byNumber.TryGetValue(label, out var index)
            ? index
            : throw Unseen(label.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private InvalidInputException Unseen(string label) =>
        new($"The split has a row whose '{OutputColumn}' value '{label}' is not a class the model was trained on ({string.Join(", ", Labels.Take(10))}).");
}

using System.Globalization;
using System.Text;

namespace DashAI.ML.Data;

/// <summary>
/// A deliberately crude schema inference over a canonical CSV, for the benchmark and the ML tests (linked into
/// both; the product never uses it);
/// real datasets get their schema from ingestion. Numbers are integer or float, true/false is
/// boolean, other strings are categorical when short and repeated, text otherwise. It streams the
/// file and counts at most <see cref="DistinctCap"/> distinct values a column, so inferring the
/// schema of a large split does not weigh on the memory a benchmark measures.
/// </summary>
internal static class SimpleSchemaInference
{
    private const int DistinctCap = 10_000;

    public static DatasetSchema Infer(string path, string outputColumn)
    {
        using var reader = new StreamReader(path, Encoding.UTF8);
        List<string>? header = null;
        var profiles = new List<Profile>();
        foreach (var row in ReadRows(reader))
        {
            if (header is null)
            {
                header = row;
                profiles = [.. row.Select(_ => new Profile())];
                continue;
            }

            if (row.Count != header.Count)
            {
                continue;
            }

            for (var i = 0; i < row.Count; i++)
            {
                profiles[i].Add(row[i]);
            }
        }

        header ??= [];
        if (!header.Contains(outputColumn))
        {
            throw new InvalidInputException($"Column '{outputColumn}' is not in {path}.");
        }

        var columns = header.Select((name, i) => new ColumnInfo(name, profiles[i].Type, profiles[i].Missing, profiles[i].Distinct.Count)).ToList();
        return new DatasetSchema(columns, [.. header.Where(h => h != outputColumn)], [outputColumn]);
    }

    private sealed class Profile
    {
        private bool _integer = true;
        private bool _float = true;
        private bool _boolean = true;
        private long _present;
        private long _length;

        public long Missing { get; private set; }

        public HashSet<string> Distinct { get; } = new(StringComparer.Ordinal);

        public ColumnType Type => _present == 0 ? ColumnType.Categorical
            : _integer ? ColumnType.Integer
            : _float ? ColumnType.Float
            : _boolean ? ColumnType.Boolean
            : (double)_length / _present > 30 || Distinct.Count > Math.Max(50, _present / 2) ? ColumnType.Text : ColumnType.Categorical;

        public void Add(string value)
        {
            if (value.Length == 0)
            {
                Missing++;
                return;
            }

            _present++;
            _length += value.Length;
            _integer = _integer && long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out _);
            _float = _float && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
            _boolean = _boolean && value is "true" or "false";
            if (Distinct.Count < DistinctCap)
            {
                Distinct.Add(value);
            }
        }
    }

    /// <summary>RFC 4180 rows read one at a time (see <see cref="ReadCsv"/>).</summary>
    public static IEnumerable<List<string>> ReadRows(TextReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var row = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        int next;
        while ((next = reader.Read()) >= 0)
        {
            var c = (char)next;
            if (quoted)
            {
                if (c == '"' && reader.Peek() == '"')
                {
                    field.Append('"');
                    reader.Read();
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                row.Add(field.ToString());
                field.Clear();
            }
            else if (c is '\n' or '\r')
            {
                if (c == '\r' && reader.Peek() == '\n')
                {
                    reader.Read();
                }

                row.Add(field.ToString());
                field.Clear();
                yield return row;
                row = [];
            }
            else
            {
                field.Append(c);
            }
        }

        if (field.Length > 0 || row.Count > 0)
        {
            row.Add(field.ToString());
            yield return row;
        }
    }

    /// <summary>RFC 4180: comma separated, double-quoted fields may hold commas, quotes ("") and newlines.</summary>
    public static List<List<string>> ReadCsv(string text)
    {
        using var reader = new StringReader(text);
        return [.. ReadRows(reader)];
    }
}

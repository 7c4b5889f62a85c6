using System.Globalization;
using System.Text;

namespace DashAI.ML.Data;

/// <summary>
/// A deliberately crude schema inference over a canonical CSV, for the benchmark and tests only;
/// real datasets get their schema from ingestion. Numbers are integer or float, true/false is
/// boolean, other strings are categorical when short and repeated, text otherwise.
/// </summary>
internal static class SimpleSchemaInference
{
    public static DatasetSchema Infer(string path, string outputColumn)
    {
        var rows = ReadCsv(File.ReadAllText(path, Encoding.UTF8));
        var header = rows[0];
        var data = rows.Skip(1).Where(r => r.Count == header.Count).ToList();
        var columns = new List<ColumnInfo>();
        for (var i = 0; i < header.Count; i++)
        {
            var values = data.Select(r => r[i]).ToList();
            var present = values.Where(v => v.Length > 0).ToList();
            var distinct = present.Distinct(StringComparer.Ordinal).Count();
            columns.Add(new ColumnInfo(header[i], InferType(present, distinct), values.Count - present.Count, distinct));
        }

        if (!header.Contains(outputColumn))
        {
            throw new InvalidInputException($"Column '{outputColumn}' is not in {path}.");
        }

        return new DatasetSchema(columns, [.. header.Where(h => h != outputColumn)], [outputColumn]);
    }

    private static ColumnType InferType(List<string> present, int distinct)
    {
        if (present.Count > 0 && present.All(v => long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out _)))
        {
            return ColumnType.Integer;
        }

        if (present.Count > 0 && present.All(v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out _)))
        {
            return ColumnType.Float;
        }

        if (present.Count > 0 && present.All(v => v is "true" or "false"))
        {
            return ColumnType.Boolean;
        }

        var averageLength = present.Count == 0 ? 0 : present.Average(v => v.Length);
        return averageLength > 30 || distinct > Math.Max(50, present.Count / 2) ? ColumnType.Text : ColumnType.Categorical;
    }

    /// <summary>RFC 4180: comma separated, double-quoted fields may hold commas, quotes ("") and newlines.</summary>
    public static List<List<string>> ReadCsv(string text)
    {
        var rows = new List<List<string>>();
        var row = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
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
                if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
                {
                    i++;
                }

                row.Add(field.ToString());
                field.Clear();
                rows.Add(row);
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
            rows.Add(row);
        }

        return rows;
    }
}

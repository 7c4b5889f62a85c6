using System.Globalization;
using System.Text;

namespace DashAI.ML.Data;

/// <summary>
/// Writes one split file in canonical CSV (see <see cref="DatasetSchema"/>): each row is built in a
/// reusable char buffer and handed to a buffered UTF-8 writer in one call, so the per-field cost is a
/// copy, not a string.
/// </summary>
internal sealed class CanonicalCsvWriter : IDisposable
{
    private const int BufferSize = 1 << 16;
    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    private readonly StreamWriter _writer;
    private char[] _row = new char[4096];
    private int _length;

    public CanonicalCsvWriter(string path)
    {
        var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, BufferSize);
        _writer = new StreamWriter(stream, Utf8NoBom, BufferSize);
    }

    public long Rows { get; private set; }

    public void WriteHeader(IEnumerable<string> names)
    {
        var first = true;
        foreach (var name in names)
        {
            if (!first)
            {
                Separator();
            }

            first = false;
            Text(name);
        }

        _writer.Write(_row, 0, _length);
        _writer.Write('\n');
        _length = 0;
    }

    public void Separator() => Append(',');

    /// <summary>A field that may need quoting (separator, quote or line break inside).</summary>
    public void Text(ReadOnlySpan<char> field)
    {
        if (!FieldText.RequiresQuoting(field))
        {
            Append(field);
            return;
        }

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

    /// <summary>A field known to hold no separator, quote or line break (numbers, booleans).</summary>
    public void Raw(ReadOnlySpan<char> field) => Append(field);

    /// <summary>A plain decimal-comma number, written with '.'.</summary>
    public void RawReplacingDecimalComma(ReadOnlySpan<char> field)
    {
        var start = _length;
        Append(field);
        _row.AsSpan(start, field.Length).Replace(',', '.');
    }

    public void Integer(long value) => Format(value, null);

    /// <summary>Shortest text that parses back to the same double ("R"), invariant culture.</summary>
    public void Float(double value) => Format(value, "R");

    public void EndRow()
    {
        Append('\n');
        _writer.Write(_row, 0, _length);
        _length = 0;
        Rows++;
    }

    public void Dispose() => _writer.Dispose();

    private void Format<T>(T value, string? format)
        where T : ISpanFormattable
    {
        int written;
        while (!value.TryFormat(_row.AsSpan(_length), out written, format, CultureInfo.InvariantCulture))
        {
            Grow(64);
        }

        _length += written;
    }

    private void Append(char c)
    {
        if (_length == _row.Length)
        {
            Grow(1);
        }

        _row[_length++] = c;
    }

    private void Append(ReadOnlySpan<char> text)
    {
        if (_length + text.Length > _row.Length)
        {
            Grow(text.Length);
        }

        text.CopyTo(_row.AsSpan(_length));
        _length += text.Length;
    }

    private void Grow(int extra) => Array.Resize(ref _row, Math.Max(_row.Length * 2, _length + extra));
}

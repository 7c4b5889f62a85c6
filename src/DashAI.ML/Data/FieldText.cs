using System.Buffers;
using System.Globalization;

namespace DashAI.ML.Data;

/// <summary>What a single field's text looks like, decided without allocating.</summary>
internal enum NumberShape : byte
{
    /// <summary>Not a number.</summary>
    None,

    /// <summary>An optional '-' and at most 18 digits: copied to canonical CSV as is.</summary>
    PlainInteger,

    /// <summary>Digits with a decimal point and/or exponent: copied as is (decimal comma becomes '.').</summary>
    PlainFloat,

    /// <summary>A whole number in another spelling ("+5", " 7 "): reformatted.</summary>
    OtherInteger,

    /// <summary>A number in another spelling ("+1.5", "Infinity", very long integers): reformatted.</summary>
    OtherFloat,
}

/// <summary>Span-level tests on field text used by both ingestion passes (the hot path).</summary>
internal static class FieldText
{
    private static readonly SearchValues<char> NeedsQuoting = SearchValues.Create(",\"\r\n");

    private static readonly NumberFormatInfo DecimalComma = NumberFormatInfo.ReadOnly(new NumberFormatInfo
    {
        NumberDecimalSeparator = ",",
        NumberGroupSeparator = "\u00A0",
        NegativeSign = "-",
        PositiveSign = "+",
    });

    /// <summary>
    /// Missing-value spellings (case-insensitive, surrounding spaces ignored), the ones pandas and
    /// R users produce: empty, NA, N/A, #N/A, &lt;NA&gt;, NaN, -NaN, null, None, nil, ?.
    /// </summary>
    public static bool IsMissing(ReadOnlySpan<char> field)
    {
        if (field.IsEmpty)
        {
            return true;
        }

        // No token starts with a digit or is longer than 5 chars: most fields are ruled out here.
        if (char.IsAsciiDigit(field[0]) || (field.Length > 5 && field[0] != ' ' && field[^1] != ' '))
        {
            return false;
        }

        var t = field.Trim();
        return t.Length switch
        {
            0 => true,
            1 => t[0] == '?',
            2 => t.Equals("NA", StringComparison.OrdinalIgnoreCase),
            3 => t.Equals("NaN", StringComparison.OrdinalIgnoreCase) || t.Equals("N/A", StringComparison.OrdinalIgnoreCase)
                || t.Equals("nil", StringComparison.OrdinalIgnoreCase),
            4 => t.Equals("null", StringComparison.OrdinalIgnoreCase) || t.Equals("None", StringComparison.OrdinalIgnoreCase)
                || t.Equals("#N/A", StringComparison.OrdinalIgnoreCase) || t.Equals("<NA>", StringComparison.OrdinalIgnoreCase)
                || t.Equals("-NaN", StringComparison.OrdinalIgnoreCase),
            _ => false,
        };
    }

    /// <summary>Classifies a non-missing field as a number; the plain shapes are checked by hand because it is the hot path.</summary>
    public static NumberShape ClassifyNumber(ReadOnlySpan<char> s, char decimalPoint)
    {
        var i = 0;
        if (s.Length > 0 && s[0] == '-')
        {
            i++;
        }

        var intStart = i;
        while (i < s.Length && char.IsAsciiDigit(s[i]))
        {
            i++;
        }

        var intDigits = i - intStart;
        var fracDigits = 0;
        var isFloat = false;
        if (i < s.Length && s[i] == decimalPoint)
        {
            isFloat = true;
            i++;
            var fracStart = i;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                i++;
            }

            fracDigits = i - fracStart;
        }

        if (intDigits + fracDigits > 0 && i < s.Length && (s[i] == 'e' || s[i] == 'E'))
        {
            isFloat = true;
            i++;
            if (i < s.Length && (s[i] == '-' || s[i] == '+'))
            {
                i++;
            }

            var expStart = i;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                i++;
            }

            if (i == expStart)
            {
                return Fallback(s, decimalPoint);
            }
        }

        if (i != s.Length || intDigits + fracDigits == 0)
        {
            return Fallback(s, decimalPoint);
        }

        if (isFloat)
        {
            return NumberShape.PlainFloat;
        }

        return intDigits <= 18 ? NumberShape.PlainInteger : NumberShape.PlainFloat;
    }

    private static NumberShape Fallback(ReadOnlySpan<char> s, char decimalPoint)
    {
        if (long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
        {
            return NumberShape.OtherInteger;
        }

        return TryParseDouble(s, decimalPoint, out _) ? NumberShape.OtherFloat : NumberShape.None;
    }

    public static bool TryParseDouble(ReadOnlySpan<char> s, char decimalPoint, out double value) =>
        double.TryParse(s, NumberStyles.Float, decimalPoint == ',' ? DecimalComma : NumberFormatInfo.InvariantInfo, out value);

    /// <summary>Parses straight to a float (one rounding), as ML.NET's text loader reads a canonical split.</summary>
    public static bool TryParseSingle(ReadOnlySpan<char> s, char decimalPoint, out float value) =>
        float.TryParse(s, NumberStyles.Float, decimalPoint == ',' ? DecimalComma : NumberFormatInfo.InvariantInfo, out value);

    /// <summary>true/false in any letter case; 0/1 and yes/no stay integers and categories.</summary>
    public static bool TryParseBoolean(ReadOnlySpan<char> field, out bool value)
    {
        var t = field.Trim();
        if (t.Equals("true", StringComparison.OrdinalIgnoreCase))
        {
            value = true;
            return true;
        }

        value = false;
        return t.Equals("false", StringComparison.OrdinalIgnoreCase);
    }

    public static bool RequiresQuoting(ReadOnlySpan<char> field) => field.ContainsAny(NeedsQuoting);

    public static int CountWords(ReadOnlySpan<char> field)
    {
        var words = 0;
        var inWord = false;
        foreach (var c in field)
        {
            var isSpace = char.IsWhiteSpace(c);
            if (!isSpace && !inWord)
            {
                words++;
            }

            inWord = !isSpace;
        }

        return words;
    }
}

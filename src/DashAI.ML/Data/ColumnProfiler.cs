using System.Runtime.InteropServices;

namespace DashAI.ML.Data;

/// <summary>
/// Accumulates what pass 1 sees in one column and decides its <see cref="ColumnType"/>.
/// </summary>
/// <remarks>
/// Inference rules, over the non-missing values (see <see cref="FieldText.IsMissing"/>):
/// <list type="number">
/// <item>no value at all: <see cref="ColumnType.Text"/> (nothing to learn; featurizers ignore empty text);</item>
/// <item>every value true/false (any case): <see cref="ColumnType.Boolean"/>;</item>
/// <item>every value a whole number that fits in 64 bits: <see cref="ColumnType.Integer"/>;</item>
/// <item>every value a number: <see cref="ColumnType.Float"/>;</item>
/// <item>otherwise a string column is <see cref="ColumnType.Categorical"/> when its values repeat and read
/// like labels: at most <see cref="MaxCategories"/> distinct values, fewer than
/// <see cref="TextMeanWords"/> words on average, and either at most <see cref="SmallCategoryCount"/> distinct
/// values or at most <see cref="MaxDistinctRatio"/> of the values distinct (an identifier or a sentence per
/// row is not a category);</item>
/// <item>every other string column is <see cref="ColumnType.Text"/>.</item>
/// </list>
/// Distinct values are counted exactly up to a cap; past it the column stops tracking them and
/// reports the cap. The cap shares <see cref="DistinctBudget"/> entries across the columns (so a
/// wide file stays within a few tens of MB) but is never below <see cref="MaxCategories"/> + 1,
/// which every type and stratification decision needs, nor above <see cref="MaxDistinctPerColumn"/>.
/// </remarks>
internal sealed class ColumnProfiler
{
    public const int MaxDistinctPerColumn = 10_000;
    public const int DistinctBudget = 200_000;
    public const int MaxCategories = 1_000;
    public const int SmallCategoryCount = 20;
    public const double MaxDistinctRatio = 0.5;
    public const double TextMeanWords = 3.0;

    private readonly char _decimalPoint;
    private Dictionary<string, long>? _counts = new(StringComparer.Ordinal);
    private Dictionary<string, long>.AlternateLookup<ReadOnlySpan<char>> _countsBySpan;
    private long _words;
    private bool _couldBeInteger = true;
    private bool _couldBeFloat = true;
    private bool _couldBeBoolean = true;

    private readonly int _distinctCap;

    public ColumnProfiler(string name, char decimalPoint, int distinctCap)
    {
        Name = name;
        _decimalPoint = decimalPoint;
        _distinctCap = distinctCap;
        _countsBySpan = _counts.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public string Name { get; }

    public long MissingCount { get; private set; }

    public long ValueCount { get; private set; }

    /// <summary>The 1-based data row of the first missing value, if any.</summary>
    public long? FirstMissingRow { get; private set; }

    /// <summary>Exact per-value counts while there are at most the cap's distinct values, else null.</summary>
    public IReadOnlyDictionary<string, long>? ValueCounts => _counts;

    public long DistinctCount => _counts?.Count ?? _distinctCap;

    public void Add(ReadOnlySpan<char> field, long row)
    {
        if (FieldText.IsMissing(field))
        {
            MissingCount++;
            FirstMissingRow ??= row;
            return;
        }

        ValueCount++;
        if (_counts is not null)
        {
            ref var count = ref CollectionsMarshal.GetValueRefOrAddDefault(_countsBySpan, field, out var exists);
            count++;
            if (!exists && _counts.Count > _distinctCap)
            {
                _counts = null;
            }
        }

        var isNumber = false;
        if (_couldBeInteger || _couldBeFloat)
        {
            var shape = FieldText.ClassifyNumber(field, _decimalPoint);
            switch (shape)
            {
                case NumberShape.PlainInteger or NumberShape.OtherInteger:
                    isNumber = true;
                    break;
                case NumberShape.PlainFloat or NumberShape.OtherFloat:
                    _couldBeInteger = false;
                    isNumber = true;
                    break;
                default:
                    _couldBeInteger = false;
                    _couldBeFloat = false;
                    break;
            }
        }

        if (_couldBeBoolean && !FieldText.TryParseBoolean(field, out _))
        {
            _couldBeBoolean = false;
        }

        _words += isNumber ? 1 : FieldText.CountWords(field);
    }

    /// <summary>The per-column distinct-value cap for a file with <paramref name="columns"/> columns.</summary>
    public static int DistinctCapFor(int columns) =>
        Math.Clamp(DistinctBudget / Math.Max(columns, 1), MaxCategories + 1, MaxDistinctPerColumn);

    public ColumnType InferType()
    {
        if (ValueCount == 0)
        {
            return ColumnType.Text;
        }

        if (_couldBeBoolean)
        {
            return ColumnType.Boolean;
        }

        if (_couldBeInteger)
        {
            return ColumnType.Integer;
        }

        if (_couldBeFloat)
        {
            return ColumnType.Float;
        }

        var distinct = DistinctCount;
        var meanWords = (double)_words / ValueCount;
        var labelLike = distinct <= MaxCategories
            && meanWords < TextMeanWords
            && (distinct <= SmallCategoryCount || distinct <= MaxDistinctRatio * ValueCount);
        return labelLike ? ColumnType.Categorical : ColumnType.Text;
    }

    public ColumnInfo ToColumnInfo() => new(Name, InferType(), MissingCount, DistinctCount);
}

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
/// Distinct values are counted exactly up to <see cref="DistinctCap"/>; past that the column stops
/// tracking them (memory stays bounded) and reports the cap.
/// </remarks>
internal sealed class ColumnProfiler
{
    public const int DistinctCap = 10_000;
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

    public ColumnProfiler(string name, char decimalPoint)
    {
        Name = name;
        _decimalPoint = decimalPoint;
        _countsBySpan = _counts.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public string Name { get; }

    public long MissingCount { get; private set; }

    public long ValueCount { get; private set; }

    /// <summary>The 1-based data row of the first missing value, if any.</summary>
    public long? FirstMissingRow { get; private set; }

    /// <summary>Exact per-value counts while there are at most <see cref="DistinctCap"/> distinct values, else null.</summary>
    public IReadOnlyDictionary<string, long>? ValueCounts => _counts;

    public long DistinctCount => _counts?.Count ?? DistinctCap;

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
            if (!exists && _counts.Count > DistinctCap)
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

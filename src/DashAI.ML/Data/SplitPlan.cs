namespace DashAI.ML.Data;

/// <summary>
/// Decides, before pass 2, which split every row goes to. Rows are grouped into strata (one per
/// class when stratifying, else one); each stratum gets a sequence of split labels with the
/// requested proportions, shuffled by a seeded generator, and pass 2 hands its rows the labels in
/// file order. Memory is one byte per row.
/// </summary>
internal sealed class SplitPlan
{
    public const byte Train = 0;
    public const byte Validation = 1;
    public const byte Test = 2;

    private readonly byte[][] _labels;
    private readonly long[] _next;

    private SplitPlan(byte[][] labels, long[] rowsPerSplit)
    {
        _labels = labels;
        _next = new long[labels.Length];
        RowsPerSplit = rowsPerSplit;
    }

    /// <summary>Rows per split, indexed by <see cref="Train"/>, <see cref="Validation"/>, <see cref="Test"/>.</summary>
    public IReadOnlyList<long> RowsPerSplit { get; }

    /// <summary>Builds the plan; <paramref name="strata"/> are (name, row count) in a deterministic order.</summary>
    public static SplitPlan Create(IReadOnlyList<(string Name, long Rows)> strata, SplitOptions options, bool stratified)
    {
        double[] proportions = [options.TrainSize, options.ValSize, options.TestSize];
        var total = strata.Sum(s => s.Rows);
        var zeroSplits = SplitNames.All.Where((_, i) => proportions[i] <= 0).ToList();
        if (zeroSplits.Count > 0)
        {
            throw new InvalidInputException($"Every split must be non-empty, but the {string.Join(" and ", zeroSplits)} proportion is 0.");
        }

        if (stratified)
        {
            var tooSmall = strata.Where(s => s.Rows < proportions.Length).ToList();
            if (tooSmall.Count > 0)
            {
                var listed = string.Join(", ", tooSmall.Take(10).Select(s => $"'{s.Name}' ({s.Rows} row{(s.Rows == 1 ? "" : "s")})"));
                var more = tooSmall.Count > 10 ? $" and {tooSmall.Count - 10} more" : "";
                throw new InvalidInputException(
                    $"stratify needs at least {proportions.Length} rows of every class to reach train, validation and test; too small: {listed}{more}.");
            }
        }

        var rowsPerSplit = new long[proportions.Length];
        var random = new SplitMix64(options.Seed);
        var labels = new byte[strata.Count][];
        for (var s = 0; s < strata.Count; s++)
        {
            var counts = Allocate(strata[s].Rows, proportions, atLeastOneEach: stratified);
            var sequence = new byte[strata[s].Rows];
            var position = 0;
            for (var split = 0; split < counts.Length; split++)
            {
                sequence.AsSpan(position, (int)counts[split]).Fill((byte)split);
                position += (int)counts[split];
                rowsPerSplit[split] += counts[split];
            }

            if (options.Shuffle)
            {
                Shuffle(sequence, ref random);
            }

            labels[s] = sequence;
        }

        var empty = SplitNames.All.Where((_, i) => rowsPerSplit[i] == 0).ToList();
        if (empty.Count > 0)
        {
            throw new InvalidInputException(
                $"Every split must be non-empty, but {total} row{(total == 1 ? "" : "s")} with these proportions leave {string.Join(" and ", empty)} empty.");
        }

        return new SplitPlan(labels, rowsPerSplit);
    }

    /// <summary>The split of the next row of <paramref name="stratum"/> in file order.</summary>
    public byte Next(int stratum) => _labels[stratum][_next[stratum]++];

    /// <summary>Largest-remainder rounding, so counts sum to the rows and each is within one of its share.</summary>
    internal static long[] Allocate(long rows, double[] proportions, bool atLeastOneEach)
    {
        var counts = new long[proportions.Length];
        var remainders = new double[proportions.Length];
        long assigned = 0;
        for (var i = 0; i < proportions.Length; i++)
        {
            var exact = rows * proportions[i];
            counts[i] = (long)Math.Floor(exact);
            remainders[i] = exact - counts[i];
            assigned += counts[i];
        }

        // Ties go to the earlier split (train, then validation), so the outcome never depends on sort stability.
        foreach (var i in Enumerable.Range(0, proportions.Length).OrderByDescending(i => remainders[i]).ThenBy(i => i))
        {
            if (assigned >= rows)
            {
                break;
            }

            counts[i]++;
            assigned++;
        }

        if (atLeastOneEach)
        {
            for (var i = 0; i < counts.Length; i++)
            {
                if (counts[i] == 0)
                {
                    var donor = Array.IndexOf(counts, counts.Max());
                    counts[donor]--;
                    counts[i]++;
                }
            }
        }

        return counts;
    }

    private static void Shuffle(byte[] sequence, ref SplitMix64 random)
    {
        for (var i = sequence.Length - 1; i > 0; i--)
        {
            var j = (int)random.NextBelow((ulong)i + 1);
            (sequence[i], sequence[j]) = (sequence[j], sequence[i]);
        }
    }

    /// <summary>
    /// SplitMix64: tiny, fast, and fully specified here, so a stored seed reproduces the same split
    /// on every runtime version (System.Random's seeded sequence is not a documented contract).
    /// </summary>
    private struct SplitMix64(int seed)
    {
        private ulong _state = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL) ^ 0xD1B54A32D192ED03UL;

        public ulong Next()
        {
            var z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        /// <summary>A uniform value in [0, bound) by multiply-shift (bias below 2^-32 for any realistic row count).</summary>
        public ulong NextBelow(ulong bound) => Math.BigMul(Next(), bound, out _);
    }
}

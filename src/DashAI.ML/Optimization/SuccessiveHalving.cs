namespace DashAI.ML.Optimization;

/// <summary>
/// Asynchronous successive halving (ASHA) over the boosting rounds of a trial. Rungs are fixed round counts
/// (<see cref="MinimumResource"/>·η^k); a trial whose own round count is larger is first fitted with each rung's
/// rounds below it, reports its validation metric there, and goes on only while that value is in the best
/// 1/η of the values every trial reported at that rung so far (its own included). Until a rung holds η values
/// nothing is stopped there: the first trials have nothing to be compared with.
/// <para>
/// Pure and stateless: the values at a rung come from the caller (an in-memory history in the benchmark, the
/// trials table in the app), so a redelivered trial that reports again gets the same answer.
/// </para>
/// </summary>
public sealed class SuccessiveHalving
{
    public SuccessiveHalving(int minimumResource = 25, int reductionFactor = 4)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(minimumResource, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(reductionFactor, 2);
        MinimumResource = minimumResource;
        ReductionFactor = reductionFactor;
    }

    /// <summary>The round count of the first rung.</summary>
    public int MinimumResource { get; }

    /// <summary>η: each rung has η times the rounds of the one before and keeps the best 1/η of its trials.</summary>
    public int ReductionFactor { get; }

    /// <summary>The rungs (round counts, ascending) a trial of <paramref name="rounds"/> rounds reports at: those strictly below its own count.</summary>
    public IReadOnlyList<int> Rungs(int rounds)
    {
        var rungs = new List<int>();
        for (long r = MinimumResource; r < rounds; r *= ReductionFactor)
        {
            rungs.Add((int)r);
        }

        return rungs;
    }

    /// <summary>
    /// Whether a trial that reached <paramref name="value"/> at a rung goes on. <paramref name="valuesAtRung"/>
    /// holds every value reported at that rung, this trial's included; non-finite values rank last.
    /// </summary>
    public bool Continues(double value, IReadOnlyCollection<double> valuesAtRung, OptimizationDirection direction)
    {
        ArgumentNullException.ThrowIfNull(valuesAtRung);
        if (!double.IsFinite(value))
        {
            return false;
        }

        var kept = valuesAtRung.Count / ReductionFactor;
        if (kept == 0)
        {
            return true;
        }

        var better = valuesAtRung.Count(v => double.IsFinite(v) && (direction == OptimizationDirection.Maximize ? v > value : v < value));
        return better < kept;
    }
}

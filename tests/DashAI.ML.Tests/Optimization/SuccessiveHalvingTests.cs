using DashAI.ML.Optimization;

namespace DashAI.ML.Tests.Optimization;

public class SuccessiveHalvingTests
{
    [Fact]
    public void RungsAreGeometricRoundCountsBelowTheTrialsOwn()
    {
        var halving = new SuccessiveHalving(minimumResource: 25, reductionFactor: 4);

        Assert.Equal([25, 100, 400], halving.Rungs(500));
        Assert.Equal([25, 100], halving.Rungs(400));
        Assert.Equal([25], halving.Rungs(26));
        Assert.Empty(halving.Rungs(25));
        Assert.Empty(halving.Rungs(10));
    }

    [Fact]
    public void NothingStopsUntilARungHoldsEtaValues()
    {
        var halving = new SuccessiveHalving(reductionFactor: 3);

        Assert.True(halving.Continues(0.1, [0.9, 0.1], OptimizationDirection.Maximize));
        Assert.True(halving.Continues(0.1, [0.1], OptimizationDirection.Maximize));
    }

    [Fact]
    public void OnlyTheBestFractionOfARungGoesOn()
    {
        var halving = new SuccessiveHalving(reductionFactor: 3);
        double[] rung = [0.5, 0.9, 0.7, 0.6, 0.8, 0.4];

        // Six values, η = 3: the best two go on.
        Assert.True(halving.Continues(0.9, rung, OptimizationDirection.Maximize));
        Assert.True(halving.Continues(0.8, rung, OptimizationDirection.Maximize));
        Assert.False(halving.Continues(0.7, rung, OptimizationDirection.Maximize));
        Assert.False(halving.Continues(0.4, rung, OptimizationDirection.Maximize));
        // Minimizing, the smallest go on.
        Assert.True(halving.Continues(0.4, rung, OptimizationDirection.Minimize));
        Assert.True(halving.Continues(0.5, rung, OptimizationDirection.Minimize));
        Assert.False(halving.Continues(0.6, rung, OptimizationDirection.Minimize));
    }

    [Fact]
    public void TiesGoOnTogetherAndNonFiniteValuesRankLast()
    {
        var halving = new SuccessiveHalving(reductionFactor: 2);

        Assert.True(halving.Continues(0.8, [0.8, 0.8, 0.5, 0.1], OptimizationDirection.Maximize));
        Assert.True(halving.Continues(0.2, [double.NaN, 0.2, double.NaN, double.NaN], OptimizationDirection.Maximize));
        Assert.False(halving.Continues(double.NaN, [double.NaN, 0.2], OptimizationDirection.Maximize));
    }

    [Fact]
    public async Task TheJudgeComparesATrialWithEveryEarlierReportAtTheSameRung()
    {
        var judge = new InMemoryRungJudge(new SuccessiveHalving(reductionFactor: 2), OptimizationDirection.Maximize);

        Assert.True(await judge.ContinueAsync(25, 0.6, CancellationToken.None));
        Assert.True(await judge.ContinueAsync(25, 0.7, CancellationToken.None));  // best of two
        Assert.False(await judge.ContinueAsync(25, 0.5, CancellationToken.None)); // third of three: only one kept
        Assert.True(await judge.ContinueAsync(100, 0.1, CancellationToken.None)); // another rung starts afresh
    }
}

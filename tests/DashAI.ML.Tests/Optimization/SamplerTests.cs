using System.Text.Json.Nodes;
using DashAI.ML.Optimization;

namespace DashAI.ML.Tests.Optimization;

public class SamplerTests
{
    // A known function: a bowl in (x, log10 y) with its minimum 0 at x = 2, y = 1e-3, plus a choice worth 0.5 unless it is "b".
    private static readonly SearchDimension[] Space =
    [
        new FloatDimension("x", -10, 10),
        new FloatDimension("y", 1e-6, 1, Log: true),
        new CategoricalDimension("kind", [JsonValue.Create("a"), JsonValue.Create("b"), JsonValue.Create("c")]),
    ];

    private static double Objective(JsonObject p) =>
        Math.Pow(p["x"]!.GetValue<double>() - 2, 2)
        + Math.Pow(Math.Log10(p["y"]!.GetValue<double>()) + 3, 2)
        + (p["kind"]!.GetValue<string>() == "b" ? 0 : 0.5);

    private static List<CompletedTrial> Optimize(IParameterSampler sampler, int trials, int seed, IReadOnlyList<SearchDimension>? space = null, Func<JsonObject, double>? objective = null)
    {
        var history = new List<CompletedTrial>();
        for (var t = 0; t < trials; t++)
        {
            var parameters = sampler.Sample(space ?? Space, history, OptimizationDirection.Minimize, seed, t);
            history.Add(new CompletedTrial(parameters, (objective ?? Objective)(parameters)));
        }

        return history;
    }

    [Fact]
    public void TpeFindsTheOptimumOfAKnownFunctionBetterThanRandomAtEqualBudget()
    {
        var tpeWins = 0;
        double tpeTotal = 0, randomTotal = 0;
        for (var seed = 1; seed <= 10; seed++)
        {
            var tpe = Optimize(new TpeSampler(), 60, seed).Min(t => t.Value);
            var random = Optimize(new RandomSampler(), 60, seed).Min(t => t.Value);
            tpeTotal += tpe;
            randomTotal += random;
            tpeWins += tpe < random ? 1 : 0;
        }

        Assert.True(tpeWins >= 8, $"TPE beat random search on {tpeWins} of 10 seeds");
        Assert.True(tpeTotal < randomTotal / 2, $"mean best: TPE {tpeTotal / 10:F4}, random {randomTotal / 10:F4}");
        Assert.True(tpeTotal / 10 < 0.3, $"TPE's mean best {tpeTotal / 10:F4} is not near the optimum 0");
    }

    [Fact]
    public void TpeConcentratesOnTheBestChoiceAfterTheRandomStart()
    {
        // The choice decides most of the objective here; x only breaks ties.
        static double ByChoice(JsonObject p) =>
            (p["kind"]!.GetValue<string>() == "b" ? 0 : 1) + (Math.Pow(p["x"]!.GetValue<double>() - 2, 2) / 1000);

        var history = Optimize(new TpeSampler(), 60, seed: 3, objective: ByChoice);

        var late = history.Skip(30).Count(t => t.Parameters["kind"]!.GetValue<string>() == "b");
        Assert.True(late >= 20, $"only {late} of the last 30 trials tried the best choice");
    }

    [Fact]
    public void TheFirstTrialsAreTheSeededRandomStart()
    {
        var tpe = Optimize(new TpeSampler(), TpeSampler.StartupTrials, seed: 5);
        var random = Optimize(new RandomSampler(), TpeSampler.StartupTrials, seed: 5);

        Assert.Equal(random.Select(t => t.Parameters.ToJsonString()), tpe.Select(t => t.Parameters.ToJsonString()));
    }

    [Theory]
    [InlineData("TPE")]
    [InlineData("Random")]
    public void AProposalDependsOnlyOnSeedTrialNumberAndHistory(string name)
    {
        IParameterSampler sampler = name == "TPE" ? new TpeSampler() : new RandomSampler();
        var history = Optimize(new RandomSampler(), 15, seed: 9);

        var first = sampler.Sample(Space, history, OptimizationDirection.Minimize, 42, 15);
        var again = sampler.Sample(Space, history, OptimizationDirection.Minimize, 42, 15);
        var otherTrial = sampler.Sample(Space, history, OptimizationDirection.Minimize, 42, 16);
        var otherSeed = sampler.Sample(Space, history, OptimizationDirection.Minimize, 43, 15);

        Assert.Equal(first.ToJsonString(), again.ToJsonString());
        Assert.NotEqual(first.ToJsonString(), otherTrial.ToJsonString());
        Assert.NotEqual(first.ToJsonString(), otherSeed.ToJsonString());
    }

    [Fact]
    public void MaximizingPrefersLargeValues()
    {
        SearchDimension[] space = [new FloatDimension("x", 0, 1)];
        var history = new List<CompletedTrial>();
        var sampler = new TpeSampler();
        for (var t = 0; t < 40; t++)
        {
            var p = sampler.Sample(space, history, OptimizationDirection.Maximize, 7, t);
            history.Add(new CompletedTrial(p, p["x"]!.GetValue<double>()));
        }

        Assert.True(history.Skip(20).Average(t => t.Value) > 0.7, "TPE did not move toward the larger values it was asked to maximize");
    }

    [Fact]
    public void IntegersAndLogScalesStayInsideTheirBounds()
    {
        SearchDimension[] space =
        [
            new IntDimension("leaves", 8, 128, Log: true),
            new IntDimension("rows", 5, 100),
            new FloatDimension("rate", 0.01, 0.3, Log: true),
        ];
        double Objective(JsonObject p) => Math.Abs(p["leaves"]!.GetValue<long>() - 31) + Math.Abs(p["rows"]!.GetValue<long>() - 20) + Math.Abs(Math.Log(p["rate"]!.GetValue<double>() / 0.1));

        var history = Optimize(new TpeSampler(), 50, seed: 11, space, Objective);

        Assert.All(history, t =>
        {
            Assert.InRange(t.Parameters["leaves"]!.GetValue<long>(), 8, 128);
            Assert.InRange(t.Parameters["rows"]!.GetValue<long>(), 5, 100);
            Assert.InRange(t.Parameters["rate"]!.GetValue<double>(), 0.01, 0.3);
        });
        Assert.Contains(history, t => t.Parameters["leaves"]!.GetValue<long>() == 8 || t.Parameters["leaves"]!.GetValue<long>() < 12);
        Assert.True(history.Min(t => t.Value) < history.Take(TpeSampler.StartupTrials).Min(t => t.Value));
    }

    [Fact]
    public void GammaAndWeightsFollowTheStatedRules()
    {
        Assert.Equal(1, TpeSampler.Gamma(1));
        Assert.Equal(1, TpeSampler.Gamma(10));
        Assert.Equal(3, TpeSampler.Gamma(30));
        Assert.Equal(25, TpeSampler.Gamma(1000));
        Assert.All(TpeSampler.Weights(25), w => Assert.Equal(1.0, w));
        var weights = TpeSampler.Weights(100);
        Assert.Equal(1.0 / 100, weights[0], 6);
        Assert.All(weights.Skip(75), w => Assert.Equal(1.0, w));
        Assert.True(weights.Zip(weights.Skip(1)).All(p => p.First <= p.Second));
    }
}

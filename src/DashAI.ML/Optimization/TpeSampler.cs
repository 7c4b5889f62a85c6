using System.Text.Json.Nodes;

namespace DashAI.ML.Optimization;

/// <summary>
/// Tree-structured Parzen estimator (univariate, as Optuna's default TPE sampler): after
/// <see cref="StartupTrials"/> random trials, the finished trials are split into the best γ(n) ("below") and the
/// rest ("above"); for each parameter a Parzen density is fitted to each group — truncated Gaussians on the
/// parameter's working scale (log where it has one), weighted categorical counts for choices, each with a weak
/// prior over the whole range — and of <see cref="Candidates"/> draws from the "below" density the one with the
/// largest ratio l(x)/g(x) is tried next.
/// </summary>
public sealed class TpeSampler : IParameterSampler
{
    public const int StartupTrials = 10;
    public const int Candidates = 24;

    private const double PriorWeight = 1.0;

    public string Name => "TPE";

    /// <summary>How many of <paramref name="n"/> finished trials count as good: 10 %, at least one, at most 25.</summary>
    public static int Gamma(int n) => Math.Clamp((int)Math.Ceiling(0.1 * n), 1, 25);

    /// <summary>Observation weights, oldest first: equal up to 25 trials, then the older ones fade linearly and the newest 25 weigh 1.</summary>
    public static double[] Weights(int n)
    {
        var weights = new double[n];
        const int Flat = 25;
        for (var i = 0; i < n; i++)
        {
            weights[i] = n <= Flat || i >= n - Flat ? 1.0 : (1.0 / n) + ((1.0 - (1.0 / n)) * i / Math.Max(1, n - Flat - 1));
        }

        return weights;
    }

    public JsonObject Sample(IReadOnlyList<SearchDimension> space, IReadOnlyList<CompletedTrial> completed, OptimizationDirection direction, int seed, int trialNumber)
    {
        var usable = completed.Where(t => double.IsFinite(t.Value)).ToList();
        if (usable.Count < StartupTrials)
        {
            return new RandomSampler().Sample(space, completed, direction, seed, trialNumber);
        }

        // Lower loss is better: the best trials come first. Ties keep the history's order (stable sort).
        var ranked = usable
            .Select((trial, order) => (trial, order, loss: direction == OptimizationDirection.Maximize ? -trial.Value : trial.Value))
            .OrderBy(t => t.loss)
            .ToList();
        var belowCount = Gamma(ranked.Count);
        var below = ranked.Take(belowCount).OrderBy(t => t.order).Select(t => t.trial).ToList();
        var above = ranked.Skip(belowCount).OrderBy(t => t.order).Select(t => t.trial).ToList();

        var parameters = new JsonObject();
        foreach (var dimension in space)
        {
            var random = SearchScale.RandomFor(seed, trialNumber, dimension.Name);
            parameters[dimension.Name] = dimension is CategoricalDimension categorical
                ? SampleCategorical(categorical, below, above, random)
                : SampleNumeric(dimension, below, above, random);
        }

        return parameters;
    }

    private static JsonNode SampleNumeric(SearchDimension dimension, List<CompletedTrial> below, List<CompletedTrial> above, Random random)
    {
        var (low, high) = SearchScale.Bounds(dimension);
        var good = Parzen.Fit(Observations(dimension, below), low, high);
        var bad = Parzen.Fit(Observations(dimension, above), low, high);
        var best = double.NaN;
        var bestScore = double.NegativeInfinity;
        for (var i = 0; i < Candidates; i++)
        {
            var x = good.Sample(random);
            var score = good.LogDensity(x) - bad.LogDensity(x);
            if (score > bestScore)
            {
                (best, bestScore) = (x, score);
            }
        }

        return SearchScale.ToValue(dimension, best);
    }

    private static JsonNode? SampleCategorical(CategoricalDimension dimension, List<CompletedTrial> below, List<CompletedTrial> above, Random random)
    {
        var good = CategoricalWeights(dimension, below);
        var bad = CategoricalWeights(dimension, above);
        var bestIndex = 0;
        var bestScore = double.NegativeInfinity;
        for (var i = 0; i < Candidates; i++)
        {
            var index = Draw(good, random);
            var score = Math.Log(good[index]) - Math.Log(bad[index]);
            if (score > bestScore)
            {
                (bestIndex, bestScore) = (index, score);
            }
        }

        return dimension.Choices[bestIndex]?.DeepClone();
    }

    private static List<(double X, double Weight)> Observations(SearchDimension dimension, List<CompletedTrial> trials)
    {
        var weights = Weights(trials.Count);
        var result = new List<(double, double)>();
        for (var i = 0; i < trials.Count; i++)
        {
            if (SearchScale.ToScale(dimension, trials[i].Parameters[dimension.Name]) is { } x)
            {
                result.Add((x, weights[i]));
            }
        }

        return result;
    }

    /// <summary>Probabilities of the choices: a uniform prior of total weight 1 plus each trial's weight on its choice.</summary>
    private static double[] CategoricalWeights(CategoricalDimension dimension, List<CompletedTrial> trials)
    {
        var k = dimension.Choices.Count;
        var mass = Enumerable.Repeat(PriorWeight / k, k).ToArray();
        var weights = Weights(trials.Count);
        for (var i = 0; i < trials.Count; i++)
        {
            var index = SearchScale.ChoiceIndex(dimension, trials[i].Parameters[dimension.Name]);
            if (index >= 0)
            {
                mass[index] += weights[i];
            }
        }

        var total = mass.Sum();
        return mass.Select(m => m / total).ToArray();
    }

    private static int Draw(double[] probabilities, Random random)
    {
        var u = random.NextDouble();
        for (var i = 0; i < probabilities.Length - 1; i++)
        {
            u -= probabilities[i];
            if (u < 0)
            {
                return i;
            }
        }

        return probabilities.Length - 1;
    }

    /// <summary>
    /// A mixture of Gaussians truncated to [low, high]: one per observation (weight as given) and a prior centred on
    /// the interval with its whole width as spread. Bandwidths follow Scott's rule for one dimension
    /// (0.2·n^(-1/5) of the width), never below width / min(100, n + 1) so a cluster of equal values still explores.
    /// </summary>
    private sealed class Parzen
    {
        private readonly double[] _means;
        private readonly double[] _sigmas;
        private readonly double[] _weights;
        private readonly double[] _logNormalizers;
        private readonly double _low;
        private readonly double _high;

        private Parzen(double[] means, double[] sigmas, double[] weights, double low, double high)
        {
            (_means, _sigmas, _weights, _low, _high) = (means, sigmas, weights, low, high);
            // Each component's mass inside [low, high], so the truncated densities integrate to one.
            _logNormalizers = means.Select((m, i) => Math.Log(Math.Max(NormalCdf((high - m) / sigmas[i]) - NormalCdf((low - m) / sigmas[i]), 1e-300))).ToArray();
        }

        public static Parzen Fit(List<(double X, double Weight)> observations, double low, double high)
        {
            var width = high - low;
            var n = observations.Count;
            var sigma = Math.Clamp(0.2 * Math.Pow(Math.Max(n, 1), -0.2) * width, width / Math.Min(100.0, n + 1.0), width);
            var means = observations.Select(o => o.X).Append((low + high) / 2).ToArray();
            var sigmas = observations.Select(_ => sigma).Append(width).ToArray();
            var weights = observations.Select(o => o.Weight).Append(PriorWeight).ToArray();
            var total = weights.Sum();
            return new Parzen(means, sigmas, weights.Select(w => w / total).ToArray(), low, high);
        }

        public double Sample(Random random)
        {
            var component = Draw(_weights, random);
            // Rejection sampling into the interval; the prior component always has at least a third of its mass inside.
            for (var attempt = 0; attempt < 100; attempt++)
            {
                var x = _means[component] + (_sigmas[component] * StandardNormal(random));
                if (x >= _low && x <= _high)
                {
                    return x;
                }
            }

            return Math.Clamp(_means[component], _low, _high);
        }

        public double LogDensity(double x)
        {
            var max = double.NegativeInfinity;
            var terms = new double[_means.Length];
            for (var i = 0; i < _means.Length; i++)
            {
                var z = (x - _means[i]) / _sigmas[i];
                terms[i] = Math.Log(_weights[i]) - (0.5 * z * z) - Math.Log(_sigmas[i] * Math.Sqrt(2 * Math.PI)) - _logNormalizers[i];
                max = Math.Max(max, terms[i]);
            }

            return max + Math.Log(terms.Sum(t => Math.Exp(t - max)));
        }

        private static double StandardNormal(Random random)
        {
            // Box–Muller.
            var u1 = 1.0 - random.NextDouble();
            var u2 = random.NextDouble();
            return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
        }

        private static double NormalCdf(double z) => 0.5 * (1.0 + Erf(z / Math.Sqrt(2.0)));

        // Abramowitz–Stegun 7.1.26 (absolute error < 1.5e-7): plenty for weighting candidates.
        private static double Erf(double x)
        {
            var sign = Math.Sign(x);
            x = Math.Abs(x);
            var t = 1.0 / (1.0 + (0.3275911 * x));
            var polynomial = ((((((((1.061405429 * t) - 1.453152027) * t) + 1.421413741) * t) - 0.284496736) * t) + 0.254829592) * t;
            var y = 1.0 - (polynomial * Math.Exp(-x * x));
            return sign * y;
        }
    }
}

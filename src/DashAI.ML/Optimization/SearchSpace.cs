using System.Text.Json.Nodes;

namespace DashAI.ML.Optimization;

/// <summary>Whether a larger or a smaller value of the objective (a metric) is better.</summary>
public enum OptimizationDirection
{
    Maximize,
    Minimize,
}

/// <summary>One parameter a search may choose: a range of numbers, or a list of choices.</summary>
public abstract record SearchDimension(string Name);

/// <summary>A real number in [<paramref name="Low"/>, <paramref name="High"/>], searched on a log scale when <paramref name="Log"/>.</summary>
public sealed record FloatDimension(string Name, double Low, double High, bool Log = false) : SearchDimension(Name);

/// <summary>An integer in [<paramref name="Low"/>, <paramref name="High"/>], searched on a log scale when <paramref name="Log"/>.</summary>
public sealed record IntDimension(string Name, long Low, long High, bool Log = false) : SearchDimension(Name);

/// <summary>One of the given JSON values.</summary>
public sealed record CategoricalDimension(string Name, IReadOnlyList<JsonNode?> Choices) : SearchDimension(Name);

/// <summary>A finished trial: the parameters it tried and the objective value it reached.</summary>
public sealed record CompletedTrial(JsonObject Parameters, double Value);

/// <summary>
/// Proposes the parameters of a trial. Deterministic: the same space, history, seed and trial number give the same
/// parameters, so a trial whose proposal is computed twice (a redelivered message) tries the same thing.
/// </summary>
public interface IParameterSampler
{
    string Name { get; }

    JsonObject Sample(IReadOnlyList<SearchDimension> space, IReadOnlyList<CompletedTrial> completed, OptimizationDirection direction, int seed, int trialNumber);
}

/// <summary>Helpers shared by the samplers: the numeric working scale of a dimension and a per-trial random source.</summary>
internal static class SearchScale
{
    /// <summary>The interval a numeric dimension is searched in (log space for log dimensions; integers widened by ½ so each gets its share).</summary>
    public static (double Low, double High) Bounds(SearchDimension dimension) => dimension switch
    {
        FloatDimension f => f.Log ? (Math.Log(f.Low), Math.Log(f.High)) : (f.Low, f.High),
        IntDimension i => i.Log ? (Math.Log(Math.Max(i.Low - 0.5, 0.5)), Math.Log(i.High + 0.5)) : (i.Low - 0.5, i.High + 0.5),
        _ => throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "not a numeric dimension"),
    };

    /// <summary>A point of the working interval back to the parameter's JSON value.</summary>
    public static JsonNode ToValue(SearchDimension dimension, double x) => dimension switch
    {
        FloatDimension f => JsonValue.Create(Math.Clamp(f.Log ? Math.Exp(x) : x, f.Low, f.High)),
        IntDimension i => JsonValue.Create(Math.Clamp((long)Math.Round(i.Log ? Math.Exp(x) : x, MidpointRounding.AwayFromZero), i.Low, i.High)),
        _ => throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "not a numeric dimension"),
    };

    /// <summary>A trial's value of a numeric dimension on the working scale, or null when it has none.</summary>
    public static double? ToScale(SearchDimension dimension, JsonNode? value)
    {
        if (value is not JsonValue v || !v.TryGetValue<double>(out var number) || !double.IsFinite(number))
        {
            return null;
        }

        var isLog = dimension is FloatDimension { Log: true } or IntDimension { Log: true };
        return isLog ? (number > 0 ? Math.Log(number) : null) : number;
    }

    /// <summary>The index of a trial's value among a categorical dimension's choices, or -1.</summary>
    public static int ChoiceIndex(CategoricalDimension dimension, JsonNode? value)
    {
        for (var i = 0; i < dimension.Choices.Count; i++)
        {
            if (JsonNode.DeepEquals(dimension.Choices[i], value))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>
    /// A random source fixed by (seed, trial number, dimension): independent of the order trials finish in and of
    /// the process (string.GetHashCode is randomized per process, so names are hashed by hand).
    /// </summary>
    public static Random RandomFor(int seed, int trialNumber, string dimension)
    {
        ulong h = 14695981039346656037UL;
        foreach (var c in dimension)
        {
            h = (h ^ c) * 1099511628211UL;
        }

        var mixed = SplitMix((ulong)(uint)seed * 0x9E3779B97F4A7C15UL ^ SplitMix((ulong)(uint)trialNumber) ^ h);
        return new Random((int)(mixed ^ (mixed >> 32)));
    }

    private static ulong SplitMix(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }
}

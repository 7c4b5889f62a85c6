using System.Text.Json.Nodes;

namespace DashAI.ML.Optimization;

/// <summary>Random search: every parameter drawn uniformly (on its log scale where it has one), independently of the history.</summary>
public sealed class RandomSampler : IParameterSampler
{
    public string Name => "Random";

    public JsonObject Sample(IReadOnlyList<SearchDimension> space, IReadOnlyList<CompletedTrial> completed, OptimizationDirection direction, int seed, int trialNumber)
    {
        var parameters = new JsonObject();
        foreach (var dimension in space)
        {
            parameters[dimension.Name] = Draw(dimension, SearchScale.RandomFor(seed, trialNumber, dimension.Name));
        }

        return parameters;
    }

    internal static JsonNode? Draw(SearchDimension dimension, Random random)
    {
        if (dimension is CategoricalDimension c)
        {
            return c.Choices[random.Next(c.Choices.Count)]?.DeepClone();
        }

        var (low, high) = SearchScale.Bounds(dimension);
        return SearchScale.ToValue(dimension, low + (random.NextDouble() * (high - low)));
    }
}

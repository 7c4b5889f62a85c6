using System.Text;
using System.Text.Json;

namespace DashAI.ML;

/// <summary>
/// The rules every JSON input follows (request bodies, the upload's <c>params</c>): no key twice in one object,
/// and no key the receiver does not know, reported with the known key it was probably meant to be.
/// </summary>
public static class StrictJson
{
    /// <summary>
    /// The first key that appears twice in one object, as a dotted path (<c>parameters.max_depth</c>), or null.
    /// <paramref name="json"/> must already be valid JSON (parse it first for the syntax error).
    /// </summary>
    public static string? FindDuplicateKey(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json), new JsonReaderOptions { MaxDepth = 256 });
        var scopes = new Stack<Scope>();
        string? pendingKey = null;
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject:
                    scopes.Push(new Scope(pendingKey, []));
                    pendingKey = null;
                    break;
                case JsonTokenType.StartArray:
                    scopes.Push(new Scope(pendingKey, null));
                    pendingKey = null;
                    break;
                case JsonTokenType.EndObject:
                case JsonTokenType.EndArray:
                    scopes.Pop();
                    break;
                case JsonTokenType.PropertyName:
                    var key = reader.GetString()!;
                    if (!scopes.Peek().Keys!.Add(key))
                    {
                        return string.Join('.', scopes.Reverse().Select(s => s.Name).Where(n => n is not null).Append(key));
                    }

                    pendingKey = key;
                    break;
                default:
                    pendingKey = null;
                    break;
            }
        }

        return null;
    }

    /// <summary>
    /// One message per key of <paramref name="keys"/> that is not in <paramref name="known"/>, naming the key
    /// (with <paramref name="prefix"/>, e.g. <c>splits.</c>) and the known key it was probably meant to be.
    /// </summary>
    public static List<string> UnknownKeys(IEnumerable<string> keys, IReadOnlyCollection<string> known, string where, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(known);
        var errors = new List<string>();
        foreach (var key in keys)
        {
            if (known.Contains(key))
            {
                continue;
            }

            var hint = DidYouMean(key, known) is { } suggestion
                ? $"did you mean '{prefix}{suggestion}'?"
                : known.Count == 0 ? "it takes no fields." : $"known fields: {string.Join(", ", known.Select(k => prefix + k))}.";
            errors.Add($"Unknown field '{prefix}{key}' in {where}; {hint}");
        }

        return errors;
    }

    /// <summary>
    /// The candidate closest to <paramref name="name"/> when it is close enough to be a typo: case, '_' and '-' are
    /// ignored, and at most one edit per four characters (at least one, at most three) is allowed.
    /// </summary>
    public static string? DidYouMean(string name, IEnumerable<string> candidates)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(candidates);
        var normalized = Normalize(name);
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var target = Normalize(candidate);
            var allowed = Math.Clamp(Math.Max(normalized.Length, target.Length) / 4, 1, 3);
            var distance = EditDistance(normalized, target);
            if (distance <= allowed && distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        return best;
    }

    private static string Normalize(string name) =>
        new(name.Where(c => c is not ('_' or '-' or ' ')).Select(char.ToLowerInvariant).ToArray());

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours.</summary>
    private static int EditDistance(string a, string b)
    {
        if (Math.Abs(a.Length - b.Length) > 3)
        {
            return int.MaxValue;
        }

        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }

    private sealed record Scope(string? Name, HashSet<string>? Keys);
}

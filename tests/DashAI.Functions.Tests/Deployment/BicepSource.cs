using System.Text;

namespace DashAI.Functions.Tests.Deployment;

/// <summary>
/// Reads what the tests need from Bicep source without the Bicep CLI (which CI restores separately): the app
/// settings a template sets and the parameters it declares. A small lexer and a structural parser over braces,
/// brackets and parentheses, so layout, comments, quoted keys and comma-separated objects do not matter; any
/// app settings block that is not a literal object is reported rather than guessed at.
/// </summary>
public sealed class BicepSource
{
    private readonly List<Part> _statements;

    private BicepSource(string path, List<Part> statements)
    {
        Path = path;
        _statements = statements;
    }

    public string Path { get; }

    public static BicepSource Load(string path) => Parse(File.ReadAllText(path), path);

    public static BicepSource Parse(string text, string path = "inline.bicep") =>
        new(path, new Parser(Lexer.Tokenize(text)).ParseStatements());

    /// <summary>Every string literal (without interpolation) in the file.</summary>
    public IEnumerable<string> StringLiterals() =>
        AllParts(_statements).OfType<Token>().Where(t => t.Kind == TokenKind.String && t.Value is not null).Select(t => t.Value!);

    /// <summary>Top-level <c>param</c> declarations: name and whether they have a default value.</summary>
    public IReadOnlyList<(string Name, bool HasDefault)> Parameters()
    {
        var result = new List<(string, bool)>();
        foreach (var statement in _statements.OfType<Sequence>())
        {
            var parts = statement.Parts;
            var first = FirstTokenIndex(parts, "param");
            if (first < 0 || parts[first + 1] is not Token { Kind: TokenKind.Identifier } name)
            {
                continue;
            }

            var hasDefault = parts.Skip(first + 2).Any(p => p is Token { Text: "=" });
            result.Add((name.Text, hasDefault));
        }

        return result;
    }

    /// <summary>
    /// App settings (key → value source text) from every <c>sites/config</c> resource named <c>appsettings</c>
    /// and every <c>siteConfig.appSettings</c> array. Throws when a block exists but is not a literal.
    /// </summary>
    public IReadOnlyDictionary<string, string> AppSettings()
    {
        var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (type, body) in Resources(_statements))
        {
            var isConfig = type.Split('@')[0].Split('/')[^1].Equals("config", StringComparison.OrdinalIgnoreCase);
            if (!isConfig || body.StringProperty("name") != "appsettings")
            {
                continue;
            }

            var properties = body.Property("properties")
                ?? throw new InvalidOperationException($"{Path}: an appsettings resource has no properties.");
            if (properties.Single() is not ObjectNode values)
            {
                throw new InvalidOperationException($"{Path}: appsettings properties must be a literal object, found '{properties.Text}'.");
            }

            foreach (var (key, value) in values.Entries)
            {
                if (key is null)
                {
                    throw new InvalidOperationException($"{Path}: appsettings holds an entry that is not 'key: value': '{value.Text}'.");
                }

                settings[key] = value.Text;
            }
        }

        foreach (var obj in AllParts(_statements).OfType<ObjectNode>())
        {
            var array = obj.Property("appSettings");
            if (array is null)
            {
                continue;
            }

            if (array.Single() is not ArrayNode items)
            {
                throw new InvalidOperationException($"{Path}: siteConfig.appSettings must be a literal array, found '{array.Text}'.");
            }

            foreach (var item in items.Items)
            {
                var entry = item.Single() as ObjectNode;
                var name = entry?.StringProperty("name")
                    ?? throw new InvalidOperationException($"{Path}: a siteConfig.appSettings item has no literal name: '{item.Text}'.");
                settings[name] = entry.Property("value")?.Text ?? "";
            }
        }

        return settings;
    }

    private static IEnumerable<(string Type, ObjectNode Body)> Resources(IEnumerable<Part> parts)
    {
        foreach (var part in parts)
        {
            if (part is Sequence sequence)
            {
                var i = FirstTokenIndex(sequence.Parts, "resource");
                if (i >= 0 && i + 2 < sequence.Parts.Count && sequence.Parts[i + 2] is Token { Kind: TokenKind.String, Value: { } type })
                {
                    var body = FirstObject(sequence.Parts.Skip(i + 3));
                    if (body is not null)
                    {
                        yield return (type, body);
                    }
                }
            }

            foreach (var nested in Resources(Children(part)))
            {
                yield return nested;
            }
        }
    }

    private static int FirstTokenIndex(List<Part> parts, string keyword)
    {
        // Decorators (@description(...)) may precede the keyword on earlier lines of the same statement.
        for (var i = 0; i < parts.Count; i++)
        {
            if (parts[i] is Token { Kind: TokenKind.Identifier } t && t.Text == keyword && (i == 0 || parts[i - 1] is Token { Kind: TokenKind.NewLine }))
            {
                return i;
            }
        }

        return -1;
    }

    private static ObjectNode? FirstObject(IEnumerable<Part> parts)
    {
        foreach (var part in parts)
        {
            switch (part)
            {
                case ObjectNode obj:
                    return obj;
                case ArrayNode array:
                    // [for x in y: { ... }]
                    return FirstObject(array.Items.SelectMany(i => i.Parts));
                case Sequence group:
                    // if (condition) { ... }: the body follows the group, keep looking.
                    if (group.IsGroup)
                    {
                        continue;
                    }

                    return FirstObject(group.Parts);
                default:
                    continue;
            }
        }

        return null;
    }

    private static IEnumerable<Part> Children(Part part) => part switch
    {
        Sequence s => s.Parts,
        ObjectNode o => o.Entries.Select(e => (Part)e.Value),
        ArrayNode a => a.Items,
        _ => [],
    };

    private static IEnumerable<Part> AllParts(IEnumerable<Part> parts)
    {
        foreach (var part in parts)
        {
            yield return part;
            foreach (var child in AllParts(Children(part)))
            {
                yield return child;
            }
        }
    }

    private enum TokenKind
    {
        Identifier,
        String,
        Number,
        Punctuation,
        NewLine,
    }

    private abstract class Part
    {
        public abstract string Text { get; }
    }

    private sealed class Token(TokenKind kind, string text, string? value) : Part
    {
        public TokenKind Kind { get; } = kind;

        public override string Text { get; } = text;

        /// <summary>For strings without interpolation: the unescaped content.</summary>
        public string? Value { get; } = value;
    }

    /// <summary>An expression or statement: tokens and nested literals. <see cref="IsGroup"/> for ( ... ).</summary>
    private sealed class Sequence(List<Part> parts, bool isGroup = false) : Part
    {
        public List<Part> Parts { get; } = parts;

        public bool IsGroup { get; } = isGroup;

        public override string Text => Join(Parts, IsGroup ? "(" : "", IsGroup ? ")" : "");

        /// <summary>The only meaningful part, when the expression is a single literal.</summary>
        public Part? Single()
        {
            var meaningful = Parts.Where(p => p is not Token { Kind: TokenKind.NewLine }).ToList();
            return meaningful.Count == 1 ? meaningful[0] : null;
        }
    }

    private sealed class ObjectNode(List<(string? Key, Sequence Value)> entries) : Part
    {
        public List<(string? Key, Sequence Value)> Entries { get; } = entries;

        public override string Text => "{ " + string.Join(", ", Entries.Select(e => e.Key is null ? e.Value.Text : $"{e.Key}: {e.Value.Text}")) + " }";

        public Sequence? Property(string key) => Entries.FirstOrDefault(e => e.Key == key).Value;

        public string? StringProperty(string key) => (Property(key)?.Single() as Token) is { Kind: TokenKind.String } t ? t.Value : null;
    }

    private sealed class ArrayNode(List<Sequence> items) : Part
    {
        public List<Sequence> Items { get; } = items;

        public override string Text => "[ " + string.Join(", ", Items.Select(i => i.Text)) + " ]";
    }

    private static string Join(IEnumerable<Part> parts, string open, string close)
    {
        var builder = new StringBuilder(open);
        foreach (var part in parts.Where(p => p is not Token { Kind: TokenKind.NewLine }))
        {
            builder.Append(part.Text);
        }

        return builder.Append(close).ToString();
    }

    private static class Lexer
    {
        public static List<Token> Tokenize(string text)
        {
            var tokens = new List<Token>();
            var i = 0;
            while (i < text.Length)
            {
                var c = text[i];
                if (c == '\n')
                {
                    tokens.Add(new Token(TokenKind.NewLine, "\n", null));
                    i++;
                }
                else if (char.IsWhiteSpace(c))
                {
                    i++;
                }
                else if (c == '/' && At(text, i + 1) == '/')
                {
                    while (i < text.Length && text[i] != '\n')
                    {
                        i++;
                    }
                }
                else if (c == '/' && At(text, i + 1) == '*')
                {
                    var end = text.IndexOf("*/", i + 2, StringComparison.Ordinal);
                    i = end < 0 ? text.Length : end + 2;
                }
                else if (c == '\'' && At(text, i + 1) == '\'' && At(text, i + 2) == '\'')
                {
                    var end = text.IndexOf("'''", i + 3, StringComparison.Ordinal);
                    var stop = end < 0 ? text.Length : end + 3;
                    tokens.Add(new Token(TokenKind.String, text[i..stop], text[(i + 3)..Math.Max(i + 3, stop - 3)]));
                    i = stop;
                }
                else if (c == '\'')
                {
                    var start = i;
                    var (end, value) = ReadString(text, i);
                    tokens.Add(new Token(TokenKind.String, text[start..end], value));
                    i = end;
                }
                else if (char.IsLetter(c) || c == '_')
                {
                    var start = i;
                    while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '_'))
                    {
                        i++;
                    }

                    tokens.Add(new Token(TokenKind.Identifier, text[start..i], null));
                }
                else if (char.IsDigit(c))
                {
                    var start = i;
                    while (i < text.Length && char.IsDigit(text[i]))
                    {
                        i++;
                    }

                    tokens.Add(new Token(TokenKind.Number, text[start..i], null));
                }
                else
                {
                    tokens.Add(new Token(TokenKind.Punctuation, c.ToString(), null));
                    i++;
                }
            }

            return tokens;
        }

        private static char At(string text, int i) => i < text.Length ? text[i] : '\0';

        /// <summary>Reads a single-quoted string from its opening quote; value is null when it interpolates.</summary>
        private static (int End, string? Value) ReadString(string text, int start)
        {
            var value = new StringBuilder();
            var interpolated = false;
            var i = start + 1;
            while (i < text.Length)
            {
                var c = text[i];
                if (c == '\\' && i + 1 < text.Length)
                {
                    value.Append(text[i + 1] switch { 'n' => '\n', 'r' => '\r', 't' => '\t', var other => other });
                    i += 2;
                }
                else if (c == '$' && At(text, i + 1) == '{')
                {
                    interpolated = true;
                    i = SkipInterpolation(text, i + 2);
                }
                else if (c == '\'')
                {
                    return (i + 1, interpolated ? null : value.ToString());
                }
                else
                {
                    value.Append(c);
                    i++;
                }
            }

            throw new FormatException("Unterminated string in Bicep source.");
        }

        private static int SkipInterpolation(string text, int i)
        {
            var depth = 1;
            while (i < text.Length)
            {
                switch (text[i])
                {
                    case '\'':
                        i = ReadString(text, i).End;
                        continue;
                    case '{':
                        depth++;
                        break;
                    case '}':
                        depth--;
                        if (depth == 0)
                        {
                            return i + 1;
                        }

                        break;
                }

                i++;
            }

            throw new FormatException("Unterminated interpolation in Bicep source.");
        }
    }

    private sealed class Parser(List<Token> tokens)
    {
        private int _position;

        private Token? Peek => _position < tokens.Count ? tokens[_position] : null;

        /// <summary>Statements end at a newline outside any bracket; decorators stay with the statement they precede.</summary>
        public List<Part> ParseStatements()
        {
            var statements = new List<Part>();
            var pending = new List<Part>();
            while (Peek is not null)
            {
                var line = ParseSequence(stopAtNewLine: true, ")", "]", "}");
                if (Peek is { Kind: TokenKind.NewLine } newLine)
                {
                    _position++;
                    line.Add(newLine);
                }
                else if (Peek is not null)
                {
                    // A stray closing bracket: keep it and move on.
                    line.Add(tokens[_position++]);
                }

                pending.AddRange(line);
                var isDecoratorOrBlank = line.All(p => p is Token { Kind: TokenKind.NewLine }) || line[0] is Token { Text: "@" };
                if (!isDecoratorOrBlank)
                {
                    statements.Add(new Sequence(pending));
                    pending = [];
                }
            }

            if (pending.Count > 0)
            {
                statements.Add(new Sequence(pending));
            }

            return statements;
        }

        private List<Part> ParseSequence(bool stopAtNewLine, params string[] terminators)
        {
            var parts = new List<Part>();
            while (Peek is { } token)
            {
                if (terminators.Contains(token.Text) && token.Kind == TokenKind.Punctuation)
                {
                    break;
                }

                if (token.Kind == TokenKind.NewLine)
                {
                    if (stopAtNewLine)
                    {
                        break;
                    }

                    _position++;
                    continue;
                }

                _position++;
                switch (token.Text)
                {
                    case "{" when token.Kind == TokenKind.Punctuation:
                        parts.Add(ParseObject());
                        break;
                    case "[" when token.Kind == TokenKind.Punctuation:
                        parts.Add(ParseArray());
                        break;
                    case "(" when token.Kind == TokenKind.Punctuation:
                        var inner = ParseSequence(stopAtNewLine: false, ")");
                        Expect(")");
                        parts.Add(new Sequence(inner, isGroup: true));
                        break;
                    default:
                        parts.Add(token);
                        break;
                }
            }

            return parts;
        }

        private ObjectNode ParseObject()
        {
            var entries = new List<(string?, Sequence)>();
            while (true)
            {
                SkipSeparators();
                if (Peek is null || Peek.Text == "}")
                {
                    Expect("}");
                    return new ObjectNode(entries);
                }

                var start = _position;
                var key = Peek;
                var isKey = key.Kind is TokenKind.Identifier or TokenKind.String or TokenKind.Punctuation
                    && _position + 1 < tokens.Count && tokens[_position + 1].Text == ":";
                if (isKey)
                {
                    _position += 2;
                    var value = ParseSequence(stopAtNewLine: true, ",", "}");
                    entries.Add((key.Kind == TokenKind.String ? key.Value : key.Text, new Sequence(value)));
                }
                else
                {
                    // Not "key: value" (a spread, a decorator, a nested resource...): keep it whole, keyless.
                    var opaque = ParseSequence(stopAtNewLine: true, ",", "}");
                    if (_position == start)
                    {
                        _position++;
                    }

                    entries.Add((null, new Sequence(opaque)));
                }
            }
        }

        private ArrayNode ParseArray()
        {
            var items = new List<Sequence>();
            while (true)
            {
                SkipSeparators();
                if (Peek is null || Peek.Text == "]")
                {
                    Expect("]");
                    return new ArrayNode(items);
                }

                var start = _position;
                items.Add(new Sequence(ParseSequence(stopAtNewLine: true, ",", "]")));
                if (_position == start)
                {
                    _position++;
                }
            }
        }

        private void SkipSeparators()
        {
            while (Peek is { Kind: TokenKind.NewLine } or { Text: "," })
            {
                _position++;
            }
        }

        private void Expect(string text)
        {
            if (Peek?.Text != text)
            {
                throw new FormatException($"Expected '{text}' in Bicep source, found '{Peek?.Text ?? "end of file"}'.");
            }

            _position++;
        }
    }
}

using System.Text;

namespace DashAI.ML.Data;

/// <summary>
/// The text encodings an upload may declare. UTF-8 decoding is strict: bytes that are not valid
/// UTF-8 are an error the user can fix, never silently replaced with U+FFFD. Latin-1 gives every
/// byte a character, and so does .NET's Windows-1252 (its five unassigned bytes become the C1
/// controls of the same value), so those two never fail.
/// </summary>
public static class TextEncodings
{
    public const string Utf8 = "utf-8";
    public const string Latin1 = "latin1";
    public const string Cp1252 = "cp1252";

    public static IReadOnlyList<string> Names { get; } = [Utf8, Latin1, Cp1252];

    /// <summary>The name <see cref="Names"/> lists for an accepted name or alias (case and spaces aside), or null.</summary>
    public static string? CanonicalName(string name) => Canonical(name);

    /// <summary>A decoder that throws <see cref="DecoderFallbackException"/> on undecodable bytes.</summary>
    /// <remarks>
    /// UTF-8 is created with its preamble so that StreamReader skips a leading BOM without switching
    /// to its own (lenient) encoding, which byte-order-mark detection would do.
    /// </remarks>
    public static Encoding Strict(string name) => Canonical(name) switch
    {
        Utf8 => new UTF8Encoding(encoderShouldEmitUTF8Identifier: true, throwOnInvalidBytes: true),
        Latin1 => Encoding.Latin1,
        Cp1252 => CodePages().GetEncoding(1252, EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback)!,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Unsupported encoding."),
    };

    /// <summary>The same encoding with undecodable bytes replaced by U+FFFD, to locate them after a strict read failed.</summary>
    internal static Encoding Lenient(string name) => Canonical(name) switch
    {
        Utf8 => new UTF8Encoding(encoderShouldEmitUTF8Identifier: true, throwOnInvalidBytes: false),
        Latin1 => Encoding.Latin1,
        Cp1252 => CodePages().GetEncoding(1252, EncoderFallback.ReplacementFallback, new DecoderReplacementFallback("\uFFFD"))!,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Unsupported encoding."),
    };

    private static string? Canonical(string name) => name.Trim().ToLowerInvariant() switch
    {
        "utf-8" or "utf8" or "utf-8-sig" => Utf8,
        "latin1" or "latin-1" or "iso-8859-1" or "iso8859-1" => Latin1,
        "cp1252" or "windows-1252" => Cp1252,
        _ => null,
    };

    // InvariantGlobalization leaves only the Unicode encodings and Latin-1 built in; Windows code
    // pages come from the provider that ships in the shared framework.
    private static EncodingProvider CodePages() => CodePagesEncodingProvider.Instance;
}

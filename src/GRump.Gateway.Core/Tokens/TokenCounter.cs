using Microsoft.ML.Tokenizers;

namespace GRump.Gateway.Tokens;

/// <summary>
/// Counts tokens with a real BPE tokenizer (o200k_base, the GPT-4o family's encoding). Used where an upstream sends no
/// usage, for the local provider, and by routing (length bands, context-window fit, cost estimates). Counts for other
/// model families (Claude, Kimi) are close estimates, not their exact counts. Thread-safe; load once.
/// </summary>
public sealed class TokenCounter
{
    /// <summary>
    /// OpenAI's chat accounting: each message costs its content and role plus 3 tokens of framing; a reply is primed
    /// with 3 more. Close enough for the other providers to bound costs and context windows.
    /// </summary>
    public const int TokensPerMessage = 3;

    /// <inheritdoc cref="TokensPerMessage"/>
    public const int ReplyPriming = 3;

    private static readonly Lazy<TokenCounter> SharedInstance = new(() => new TokenCounter());

    private readonly TiktokenTokenizer _tokenizer = TiktokenTokenizer.CreateForEncoding("o200k_base");

    /// <summary>The process-wide instance (the vocabulary is ~4 MB: load it once).</summary>
    public static TokenCounter Shared => SharedInstance.Value;

    // BPE cost grows with the square of a pre-token's length: one 200 KB "word" (no spaces) takes minutes. Text is
    // therefore counted in windows that end at whitespace, and a window without any is cut at MaxRunChars — a
    // bounded cost for any input, at the price of a token or two at such cuts.
    private const int WindowChars = 2048;
    private const int MaxRunChars = 64;

    public int Count(ReadOnlySpan<char> text)
    {
        var total = 0;
        while (!text.IsEmpty)
        {
            var length = WindowLength(text);
            total += _tokenizer.CountTokens(text[..length]);
            text = text[length..];
        }
        return total;
    }

    public int Count(string? text) => string.IsNullOrEmpty(text) ? 0 : Count(text.AsSpan());

    /// <summary>Length of the next window: whole when short; else up to the last whitespace; else a run cut short.</summary>
    private static int WindowLength(ReadOnlySpan<char> text)
    {
        var limit = Math.Min(text.Length, WindowChars);
        var space = text[..limit].LastIndexOfAny(' ', '\n', '\t');
        if (limit == text.Length && LongestRun(text) <= MaxRunChars)
        {
            return text.Length;
        }
        if (space > 0 && LongestRun(text[..(space + 1)]) <= MaxRunChars)
        {
            return space + 1;
        }
        // A long run without whitespace: hand it over in short pieces.
        var firstSpace = text[..limit].IndexOfAny(' ', '\n', '\t');
        return firstSpace is > 0 and <= MaxRunChars ? firstSpace + 1 : Math.Min(MaxRunChars, text.Length);
    }

    private static int LongestRun(ReadOnlySpan<char> text)
    {
        var longest = 0;
        var run = 0;
        foreach (var c in text)
        {
            run = c is ' ' or '\n' or '\t' ? 0 : run + 1;
            longest = Math.Max(longest, run);
        }
        return longest;
    }
}

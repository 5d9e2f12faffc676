using GRump.Gateway.Providers;
using Microsoft.ML.Tokenizers;

namespace GRump.Gateway.Tokens;

/// <summary>
/// Counts tokens with a real BPE tokenizer (o200k_base, the GPT-4o family's encoding). Used where an upstream sends no
/// usage, for the local provider, and by routing (length bands, context-window fit, cost estimates). Counts for other
/// model families (Claude, Kimi) are close estimates, not their exact counts. Thread-safe; load once.
/// </summary>
public sealed class TokenCounter
{
    // OpenAI's chat accounting: each message costs its content and role plus 3 tokens of framing; a reply is primed
    // with 3 more. Close enough for the other providers to bound costs and context windows.
    private const int TokensPerMessage = 3;
    private const int ReplyPriming = 3;

    private static readonly Lazy<TokenCounter> SharedInstance = new(() => new TokenCounter());

    private readonly TiktokenTokenizer _tokenizer = TiktokenTokenizer.CreateForEncoding("o200k_base");

    /// <summary>The process-wide instance (the vocabulary is ~4 MB: load it once).</summary>
    public static TokenCounter Shared => SharedInstance.Value;

    public int Count(ReadOnlySpan<char> text) => text.IsEmpty ? 0 : _tokenizer.CountTokens(text);

    public int Count(string? text) => string.IsNullOrEmpty(text) ? 0 : _tokenizer.CountTokens(text);

    /// <summary>Input tokens of a chat prompt: every message's role and content plus the framing.</summary>
    public int CountPrompt(IReadOnlyList<ChatTurn> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var total = ReplyPriming;
        for (var i = 0; i < messages.Count; i++)
        {
            total += TokensPerMessage + Count(messages[i].Role) + Count(messages[i].Content);
        }
        return total;
    }
}

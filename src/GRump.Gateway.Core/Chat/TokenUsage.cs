namespace GRump.Gateway.Chat;

/// <summary>
/// Tokens of one upstream call, normalised across providers: <see cref="InputTokens"/> counts every prompt token,
/// those read from or written to the provider's prompt cache included (Anthropic reports those apart: adapters add
/// them back); <see cref="OutputTokens"/> includes reasoning tokens. <see cref="Estimated"/> when the upstream sent no
/// usage and the gateway counted with its tokenizer.
/// </summary>
public readonly record struct TokenUsage(long InputTokens, long OutputTokens, bool Estimated = false)
{
    /// <summary>Prompt tokens served from the provider's prompt cache (part of <see cref="InputTokens"/>).</summary>
    public long CacheReadTokens { get; init; }

    /// <summary>Prompt tokens written to the provider's cache with the 5-minute TTL (part of <see cref="InputTokens"/>).</summary>
    public long CacheWriteTokens { get; init; }

    /// <summary>Prompt tokens written to the provider's cache with the 1-hour TTL (part of <see cref="InputTokens"/>).</summary>
    public long CacheWrite1hTokens { get; init; }

    /// <summary>Reasoning tokens (part of <see cref="OutputTokens"/>).</summary>
    public long ReasoningTokens { get; init; }

    /// <summary>Prompt tokens billed at the plain input price.</summary>
    public long UncachedInputTokens => Math.Max(0, InputTokens - CacheReadTokens - CacheWriteTokens - CacheWrite1hTokens);
}

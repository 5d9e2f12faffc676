namespace GRump.Gateway.Providers;

/// <summary>A chat call as an adapter sends it upstream: the resolved model and every parameter that shapes the answer.</summary>
public sealed record ProviderChatRequest
{
    /// <summary>The model id as the upstream names it (e.g. <c>moonshotai/kimi-k2.5</c>).</summary>
    public required string Model { get; init; }

    public required IReadOnlyList<ChatTurn> Messages { get; init; }

    public float? Temperature { get; init; }

    public float? TopP { get; init; }

    /// <summary>
    /// The output cap sent upstream (OpenAI <c>max_tokens</c>, Anthropic <c>max_tokens</c>): the chat pipeline always sets
    /// it to the limit its budget reservation covers. 0 (direct adapter use only) = the adapter's default.
    /// </summary>
    public int MaxTokens { get; init; }

    public long? Seed { get; init; }

    public IReadOnlyList<string> Stop { get; init; } = [];
}

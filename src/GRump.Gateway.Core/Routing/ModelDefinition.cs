using GRump.Gateway.Chat;

namespace GRump.Gateway.Routing;

/// <summary>One model the gateway can call: where it lives, what it costs, what it can do. Bound from <c>Routing:Models</c>.</summary>
public sealed class ModelDefinition
{
    /// <summary>The id clients name and the upstream receives (e.g. <c>moonshotai/kimi-k2.5</c>).</summary>
    public string Id { get; set; } = string.Empty;

    /// <summary>The provider that serves it (<c>nim</c>, <c>anthropic</c>, <c>local</c>, or a configured name).</summary>
    public string Provider { get; set; } = string.Empty;

    /// <summary>USD per million input tokens.</summary>
    public double InputPricePerMillion { get; set; }

    /// <summary>USD per million output tokens.</summary>
    public double OutputPricePerMillion { get; set; }

    /// <summary>
    /// True for a model that costs nothing to call (an in-process or self-hosted one). Every other chat or embedding
    /// model must have prices: a model at $0 would never trip a budget (checked at start). <c>local</c> models are free.
    /// </summary>
    public bool Free { get; set; }
    /// <summary>USD per million prompt tokens read from the provider's prompt cache; null = the input price.</summary>
    public double? CachedInputPricePerMillion { get; set; }

    /// <summary>USD per million prompt tokens written to the provider's cache (5-minute TTL); null = the input price.</summary>
    public double? CacheWritePricePerMillion { get; set; }

    /// <summary>USD per million prompt tokens written to the provider's cache with a 1-hour TTL; null = the 5-minute write price.</summary>
    public double? CacheWrite1hPricePerMillion { get; set; }

    /// <summary>Input plus output tokens the model accepts.</summary>
    public int ContextWindow { get; set; } = 128_000;

    /// <summary>
    /// The most output tokens the model produces in one answer (0 = bounded only by the context window). The gateway
    /// sends min(the request's max_tokens or <c>Routing:DefaultMaxOutputTokens</c>, this) upstream and reserves for it.
    /// </summary>
    public int MaxOutputTokens { get; set; }

    /// <summary>code, reasoning, long-context, vision, function-calling, embedding.</summary>
    public List<string> Capabilities { get; set; } = [];

    /// <summary>Complexity tiers the router may send to this model: simple, medium, complex. Empty = not chosen for a tier: used when
    /// named explicitly, or as the router's fallback when no available model serves the tier.</summary>
    public List<string> Tiers { get; set; } = [];

    /// <summary>True for a model that only embeds (it cannot answer a chat).</summary>
    public bool IsEmbeddingOnly => Capabilities.Count > 0 && Capabilities.TrueForAll(c => string.Equals(c, ModelCapabilities.Embedding, StringComparison.OrdinalIgnoreCase));

    public bool Has(string capability) => Capabilities.Contains(capability, StringComparer.OrdinalIgnoreCase);

    /// <summary>Free, or served in-process by the <c>local</c> provider (which costs nothing by construction).</summary>
    public bool IsFree => Free || string.Equals(Provider, Providers.ProviderNames.Local, StringComparison.Ordinal);

    /// <summary>
    /// The output tokens a request may ask of this model: <paramref name="requested"/> (its max_tokens; 0 = none, then
    /// <paramref name="defaultMaxOutputTokens"/>), at most <see cref="MaxOutputTokens"/> when the model has one. This is
    /// what is sent upstream and what the budget reservation covers.
    /// </summary>
    public int OutputLimit(int requested, int defaultMaxOutputTokens)
    {
        var limit = requested > 0 ? requested : defaultMaxOutputTokens;
        return MaxOutputTokens > 0 ? Math.Min(limit, MaxOutputTokens) : limit;
    }

    /// <summary>USD for the given tokens at this model's plain input and output prices (an estimate or a bound).</summary>
    public double Cost(long inputTokens, long outputTokens) =>
        (inputTokens * InputPricePerMillion + outputTokens * OutputPricePerMillion) / 1_000_000d;

    /// <summary>
    /// The most a call can cost, what a budget must hold for it: the prompt at the dearest price it may be billed at
    /// (a request with prompt-cache breakpoints may be billed cache writes, up to 2× the input price) and the whole
    /// output budget.
    /// </summary>
    public double WorstCaseCost(long inputTokens, long outputTokens, bool writesPromptCache)
    {
        var inputPrice = InputPricePerMillion;
        if (writesPromptCache)
        {
            var write5m = CacheWritePricePerMillion ?? InputPricePerMillion;
            inputPrice = Math.Max(inputPrice, Math.Max(write5m, CacheWrite1hPricePerMillion ?? write5m));
        }

        return (inputTokens * inputPrice + outputTokens * OutputPricePerMillion) / 1_000_000d;
    }

    /// <summary>USD for an upstream call's usage: cached reads and cache writes at their own prices, reasoning as output.</summary>
    public double Cost(TokenUsage usage)
    {
        var write5m = CacheWritePricePerMillion ?? InputPricePerMillion;
        return (usage.UncachedInputTokens * InputPricePerMillion
            + usage.CacheReadTokens * (CachedInputPricePerMillion ?? InputPricePerMillion)
            + usage.CacheWriteTokens * write5m
            + usage.CacheWrite1hTokens * (CacheWrite1hPricePerMillion ?? write5m)
            + usage.OutputTokens * OutputPricePerMillion) / 1_000_000d;
    }
}

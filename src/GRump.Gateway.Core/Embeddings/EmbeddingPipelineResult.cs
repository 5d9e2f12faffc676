namespace GRump.Gateway.Embeddings;

/// <summary>
/// What one Embed call produced: one vector per input, in input order (arrays may be shared with other callers that
/// asked for the same text — read them, do not change them), the model and provider that made them, the input tokens
/// attributed to this call and their cost.
/// </summary>
public sealed record EmbeddingPipelineResult(IReadOnlyList<float[]> Vectors, string Model, string Provider, long InputTokens, double CostUsd)
{
    /// <summary>Per input, in input order: the cache tier that answered it, or <see cref="Caching.CacheLayer.Miss"/>.</summary>
    public IReadOnlyList<Caching.CacheLayer> Layers { get; init; } = [];

    /// <summary>Texts answered from the cache, and the cost those hits avoided.</summary>
    public int CacheHits { get; init; }

    public double CacheSavingsUsd { get; init; }

    /// <summary><c>L1|L2|L3</c> when every text came from the cache (the slowest tier used), else <c>MISS</c>.</summary>
    public string Cache { get; init; } = "MISS";
}

using GRump.Gateway.Auth;
using GRump.Gateway.Caching;
using GRump.Gateway.Chat;
using GRump.Gateway.Cost;
using GRump.Gateway.Embeddings.Internal;
using GRump.Gateway.Errors;
using GRump.Gateway.Providers;
using GRump.Gateway.Routing;
using GRump.Gateway.Tokens;

namespace GRump.Gateway.Embeddings;

/// <summary>
/// The embeddings path every front door shares (gRPC, REST <c>/api/embeddings</c>, <c>/v1/embeddings</c>): validate →
/// resolve the model → rate limit → cache → budget reservation → the coalescer for its (provider, model), or straight
/// to the provider when coalescing is off → ledger.
/// </summary>
public sealed class EmbeddingPipeline
{
    private readonly IProviderDirectory _providers;
    private readonly ModelRegistry _registry;
    private readonly EmbeddingCoalescers _coalescers;
    private readonly EmbeddingMetrics _metrics;
    private readonly EmbeddingOptions _options;
    private readonly ITieredCache _cache;
    private readonly CostMeter _meter;
    private readonly TenantRateLimiter _rateLimiter;
    private ModelDefinition? _defaultModel;

    internal EmbeddingPipeline(IProviderDirectory providers, ModelRegistry registry, EmbeddingCoalescers coalescers, EmbeddingMetrics metrics, EmbeddingOptions options,
        ITieredCache cache, CostMeter meter, TenantRateLimiter rateLimiter)
    {
        _rateLimiter = rateLimiter;
        _providers = providers;
        _registry = registry;
        _coalescers = coalescers;
        _metrics = metrics;
        _options = options;
        _cache = cache;
        _meter = meter;
    }

    /// <summary>
    /// Vectors for <paramref name="inputs"/> in order. <paramref name="model"/> empty = <see cref="ResolveModel"/>'s default.
    /// Throws <see cref="GatewayException"/>: INVALID_ARGUMENT (field <c>inputs</c> or <c>model</c>), RESOURCE_EXHAUSTED
    /// (queue full), FAILED_PRECONDITION (the model's provider is not configured), UNAVAILABLE / DEADLINE_EXCEEDED from
    /// the upstream.
    /// </summary>
    public Task<EmbeddingPipelineResult> EmbedAsync(string tenant, string model, IReadOnlyList<string> inputs, CancellationToken cancellationToken) =>
        EmbedAsync(tenant, model, inputs, dimensions: null, CacheAccess.On, cancellationToken);

    /// <summary>
    /// As above, with OpenAI's <c>dimensions</c> (null = the model's own size; see <see cref="EmbeddingDimensions"/>) and
    /// the caller's cache switch: <see cref="CacheAccess.Off"/> neither reads nor stores (every text goes upstream and is
    /// billed), <see cref="CacheAccess.ReadOnly"/> reads but never stores, <see cref="CacheAccess.WriteOnly"/> embeds
    /// afresh and refreshes the entries. Embeddings are deterministic, so the contract's unset mode means on.
    /// </summary>
    public async Task<EmbeddingPipelineResult> EmbedAsync(string tenant, string model, IReadOnlyList<string> inputs, int? dimensions, CacheAccess cache, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenant);
        EmbeddingLimits.Validate(inputs, "inputs");
        var definition = ResolveModel(model);
        if (dimensions is { } requested)
        {
            EmbeddingDimensions.Validate(definition, requested);
        }
        var provider = _providers.GetEmbedding(definition.Provider);
        var tokenCounts = new int[inputs.Count];
        long totalTokens = 0;
        if (_rateLimiter.LimitsTokens)
        {
            for (var i = 0; i < inputs.Count; i++)
            {
                totalTokens += tokenCounts[i] = TokenCounter.Shared.Count(inputs[i]);
            }
        }

        await _rateLimiter.AdmitAsync(tenant, totalTokens, cancellationToken).ConfigureAwait(false);

        // Per text: the cache first (keyed by tenant, provider, model, text); only the misses go upstream. With the cache
        // off no key is made (a SHA-256 per text for nothing), and when every text misses — the usual case — the
        // inputs go to the coalescer and its vectors come back without being copied into arrays of their own.
        var read = cache.CanRead();
        var store = cache.CanWrite();
        var keys = read || store ? new CacheKey[inputs.Count] : null;
        var layers = new CacheLayer[inputs.Count];
        float[][]? vectors = null;
        var missAt = new int[inputs.Count];
        var missCount = 0;
        var savings = 0d;
        var slowest = CacheLayer.Miss;
        for (var i = 0; i < inputs.Count; i++)
        {
            if (keys is not null)
            {
                keys[i] = CacheKeys.ForEmbedding(tenant, definition.Provider, definition.Id, inputs[i]);
            }

            var lookup = read
                ? await _cache.GetAsync(CacheNamespace.Embeddings, keys![i], cache, cancellationToken).ConfigureAwait(false)
                : CacheLookup.Miss;
            if (lookup.IsHit && lookup.Entry!.Value.Length % sizeof(float) == 0)
            {
                vectors ??= new float[inputs.Count][];
                vectors[i] = VectorBytes.ToVector(lookup.Entry.Value);
                layers[i] = lookup.Layer;
                savings += lookup.Entry.CostUsd;
                slowest = (CacheLayer)Math.Max((int)slowest, (int)lookup.Layer);
            }
            else
            {
                missAt[missCount++] = i;
            }
        }

        long tokens = 0;
        IReadOnlyList<float[]> all;
        if (missCount > 0)
        {
            long missTokens = 0;
            for (var k = 0; k < missCount; k++)
            {
                var i = missAt[k];
                if (tokenCounts[i] == 0)
                {
                    tokenCounts[i] = TokenCounter.Shared.Count(inputs[i]);
                }

                missTokens += tokenCounts[i];
            }

            IReadOnlyList<string> texts;
            IReadOnlyList<int> textTokens;
            if (missCount == inputs.Count)
            {
                (texts, textTokens) = (inputs, tokenCounts);
            }
            else
            {
                var some = new string[missCount];
                var someTokens = new int[missCount];
                for (var k = 0; k < missCount; k++)
                {
                    some[k] = inputs[missAt[k]];
                    someTokens[k] = tokenCounts[missAt[k]];
                }
                (texts, textTokens) = (some, someTokens);
            }

            var worstCase = definition.Cost(missTokens, 0);
            var reservation = await _meter.ReserveAsync(tenant, worstCase, cancellationToken).ConfigureAwait(false);
            IReadOnlyList<float[]> produced;
            try
            {
                (produced, tokens) = _options.Coalescing
                    ? await _coalescers.Get(provider, definition.Id).EmbedAsync(texts, textTokens, cancellationToken).ConfigureAwait(false)
                    : await EmbedDirectAsync(provider, definition.Id, texts, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await _meter.ReleaseAsync(reservation).ConfigureAwait(false);
                throw;
            }
            await _meter.RecordAsync(new MeteredCall(tenant, definition, CostOperations.Embed, new TokenUsage(tokens, 0)) { CacheSavingsUsd = savings }, reservation).ConfigureAwait(false);
            for (var k = 0; k < missCount; k++)
            {
                var i = missAt[k];
                if (vectors is not null)
                {
                    vectors[i] = produced[k];
                }

                if (store)
                {
                    var textCost = definition.Cost(tokenCounts[i], 0);
                    await _cache.SetAsync(CacheNamespace.Embeddings, keys![i], VectorBytes.Of(produced[k]), textCost, cache, CancellationToken.None).ConfigureAwait(false);
                }
            }
            all = vectors ?? produced;
        }
        else
        {
            await _meter.RecordHitAsync(tenant, definition.Id, definition.Provider, CostOperations.Embed, string.Empty, savings, cancellationToken).ConfigureAwait(false);
            all = vectors!;
        }

        var served = dimensions is { } size && size < definition.EmbeddingDimensions ? EmbeddingDimensions.Shorten(all, size) : all;
        return new EmbeddingPipelineResult(served, definition.Id, definition.Provider, tokens, definition.Cost(tokens, 0))
        {
            Layers = layers,
            CacheHits = inputs.Count - missCount,
            CacheSavingsUsd = savings,
            Cache = missCount == 0 ? slowest.Name() : "MISS",
        };
    }

    /// <summary>
    /// The named embedding model, or by default (empty or <c>auto</c>) the first embedding model whose provider is
    /// configured and not <c>local</c>, else the local one. INVALID_ARGUMENT (field <c>model</c>) for an unknown or
    /// non-embedding model, listing only the models usable here (a known model whose provider is not configured is
    /// FAILED_PRECONDITION, from the provider directory).
    /// </summary>
    public ModelDefinition ResolveModel(string? model)
    {
        // "auto" as on chat: the gateway picks (OpenAI clients need some model name to send).
        if (!string.IsNullOrEmpty(model) && model != "auto")
        {
            if (!_registry.TryGet(model, out var named) || !named.Has("embedding"))
            {
                var known = string.Join(", ", _registry.Models.Where(m => m.Has("embedding") && _providers.IsAvailable(m.Provider)).Select(m => m.Id));
                GatewayErrors.ThrowInvalidArgument("model", $"'{(model.Length > 128 ? model[..128] + "…" : model)}' is not a known embedding model; available here: {known}, or auto");
            }
            return named;
        }
        // The registry and the configured providers are fixed at start: the default is found once, not per call.
        return _defaultModel ??= _registry.Models.FirstOrDefault(m => m.Has("embedding") && m.Provider != ProviderNames.Local && _providers.IsAvailable(m.Provider))
            ?? _registry.Models.FirstOrDefault(m => m.Has("embedding") && m.Provider == ProviderNames.Local)
            ?? throw new GatewayException(GatewayErrorKind.FailedPrecondition, "No embedding model is configured (Routing:Models lists none with the 'embedding' capability).") { Reason = "NO_EMBEDDING_MODEL" };
    }

    /// <summary>Coalescing off: this call's inputs alone, split only at the provider's cap.</summary>
    private async Task<(IReadOnlyList<float[]>, long)> EmbedDirectAsync(IEmbeddingProvider provider, string model, IReadOnlyList<string> inputs, CancellationToken cancellationToken)
    {
        var cap = Math.Max(1, Math.Min(Math.Min(256, _options.MaxBatchSize), provider.MaxBatchSize));
        var vectors = new List<float[]>(inputs.Count);
        long tokens = 0;
        foreach (var chunk in inputs.Chunk(cap))
        {
            _metrics.Batch(provider.Name, model, chunk.Length);
            var result = await provider.EmbedAsync(model, chunk, cancellationToken).ConfigureAwait(false);
            vectors.AddRange(result.Vectors);
            tokens += result.InputTokens;
        }
        return (vectors, tokens);
    }
}

using GRump.Gateway.Embeddings.Internal;
using GRump.Gateway.Errors;
using GRump.Gateway.Providers;
using GRump.Gateway.Routing;

namespace GRump.Gateway.Embeddings;

/// <summary>
/// The embeddings path every front door shares (gRPC, REST <c>/api/embeddings</c>, <c>/v1/embeddings</c>): validate →
/// resolve the model → the coalescer for its (provider, model), or straight to the provider when coalescing is off →
/// price the usage.
/// </summary>
public sealed class EmbeddingPipeline
{
    private readonly IProviderDirectory _providers;
    private readonly ModelRegistry _registry;
    private readonly EmbeddingCoalescers _coalescers;
    private readonly EmbeddingMetrics _metrics;
    private readonly EmbeddingOptions _options;

    internal EmbeddingPipeline(IProviderDirectory providers, ModelRegistry registry, EmbeddingCoalescers coalescers, EmbeddingMetrics metrics, EmbeddingOptions options)
    {
        _providers = providers;
        _registry = registry;
        _coalescers = coalescers;
        _metrics = metrics;
        _options = options;
    }

    /// <summary>
    /// Vectors for <paramref name="inputs"/> in order. <paramref name="model"/> empty = <see cref="ResolveModel"/>'s default.
    /// Throws <see cref="GatewayException"/>: INVALID_ARGUMENT (field <c>inputs</c> or <c>model</c>), RESOURCE_EXHAUSTED
    /// (queue full), FAILED_PRECONDITION (the model's provider is not configured), UNAVAILABLE / DEADLINE_EXCEEDED from
    /// the upstream.
    /// </summary>
    public async Task<EmbeddingPipelineResult> EmbedAsync(string tenant, string model, IReadOnlyList<string> inputs, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenant);
        EmbeddingLimits.Validate(inputs, "inputs");
        var definition = ResolveModel(model);
        var provider = _providers.GetEmbedding(definition.Provider);

        // Cache (#6): per-text lookup goes here, keyed by (tenant, resolved model, text); only the misses go on to the
        // coalescer below, and their vectors are written back after it answers.
        IReadOnlyList<float[]> vectors;
        long tokens;
        if (_options.Coalescing)
        {
            (vectors, tokens) = await _coalescers.Get(provider, definition.Id).EmbedAsync(inputs, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            (vectors, tokens) = await EmbedDirectAsync(provider, definition.Id, inputs, cancellationToken).ConfigureAwait(false);
        }

        return new EmbeddingPipelineResult(vectors, definition.Id, definition.Provider, tokens, definition.Cost(tokens, 0));
    }

    /// <summary>
    /// The named embedding model, or by default the first embedding model whose provider is configured and not
    /// <c>local</c>, else the local one. INVALID_ARGUMENT (field <c>model</c>) for an unknown or non-embedding model.
    /// </summary>
    public ModelDefinition ResolveModel(string? model)
    {
        if (!string.IsNullOrEmpty(model))
        {
            if (!_registry.TryGet(model, out var named) || !named.Has("embedding"))
            {
                var known = string.Join(", ", _registry.Models.Where(m => m.Has("embedding")).Select(m => m.Id));
                GatewayErrors.ThrowInvalidArgument("model", $"'{model}' is not a known embedding model; known: {known}");
            }
            return named;
        }
        return _registry.Models.FirstOrDefault(m => m.Has("embedding") && m.Provider != ProviderNames.Local && _providers.IsAvailable(m.Provider))
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

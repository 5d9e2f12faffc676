namespace GRump.Gateway.Providers;

/// <summary>Vectors for a batch of texts, in input order, and the tokens the upstream billed.</summary>
public sealed record EmbeddingBatchResult(IReadOnlyList<float[]> Vectors, long InputTokens);

/// <summary>One upstream embeddings API. The coalescer sends it batches of at most <see cref="MaxBatchSize"/> inputs.</summary>
public interface IEmbeddingProvider
{
    string Name { get; }

    /// <summary>The most inputs one upstream call accepts (the coalescer uses min(256, this)).</summary>
    int MaxBatchSize { get; }

    Task<EmbeddingBatchResult> EmbedAsync(string model, IReadOnlyList<string> inputs, CancellationToken cancellationToken);
}

using System.ComponentModel.DataAnnotations;

namespace GRump.Gateway.Embeddings;

/// <summary><c>Embeddings</c> configuration: how concurrent Embed calls are coalesced into upstream batches.</summary>
public sealed class EmbeddingOptions
{
    public const string SectionName = "Embeddings";

    /// <summary>
    /// Merge concurrent calls per (provider, model) into shared upstream batches. Off = every call goes upstream on its
    /// own (split only at the provider's batch limit): the baseline the benchmark compares against.
    /// </summary>
    public bool Coalescing { get; set; } = true;

    /// <summary>Inputs per upstream batch; the effective cap is min(this, the provider's limit). Never more than 256.</summary>
    [Range(1, 256)]
    public int MaxBatchSize { get; set; } = 256;

    /// <summary>Estimated tokens (o200k tokenizer) per upstream batch; a single larger input still goes alone.</summary>
    [Range(1, 10_000_000)]
    public int MaxBatchTokens { get; set; } = 16_384;

    /// <summary>
    /// How long the oldest queued text may wait for others to join its batch while the upstream is busy (a text that
    /// finds it idle goes at once). 0 = flush as soon as the queue is idle.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:10")]
    public TimeSpan MaxWait { get; set; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Texts waiting per (provider, model) beyond which new calls get RESOURCE_EXHAUSTED.</summary>
    [Range(1, 10_000_000)]
    public int QueueCapacity { get; set; } = 16_384;

    /// <summary>
    /// UTF-16 characters of text waiting per (provider, model) beyond which new calls get RESOURCE_EXHAUSTED: the queue's
    /// bound in bytes (2 per character), whatever the texts' lengths. At least one call's limit
    /// (<see cref="EmbeddingLimits.MaxTotalChars"/>), so any valid call fits an empty queue.
    /// </summary>
    [Range(EmbeddingLimits.MaxTotalChars, int.MaxValue)]
    public int QueueMaxChars { get; set; } = 4 * EmbeddingLimits.MaxTotalChars;

    /// <summary>Upstream batches in flight per provider; 0 = no limit. When reached, texts wait in the queue.</summary>
    [Range(0, 10_000)]
    public int MaxInFlightBatchesPerProvider { get; set; }

    /// <summary>
    /// How the in-process MiniLM model (the <c>local</c> provider and the learned router) runs: <c>Int8</c> (default)
    /// quantizes its weight matrices at load — 2.5× faster per run, vectors within cosine 0.977 of float32's (mean
    /// 0.993, docs/embeddings.md) —, <c>Float32</c> runs the published weights as they are.
    /// </summary>
    public LocalModelPrecision LocalModelPrecision { get; set; } = LocalModelPrecision.Int8;

    /// <summary>How long host shutdown waits for queued texts to be sent and in-flight batches to answer.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>How the in-process sentence model computes (<see cref="EmbeddingOptions.LocalModelPrecision"/>).</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "The precisions' own names, as operators configure them.")]
public enum LocalModelPrecision
{
    /// <summary>Weight matrices quantized to int8 at load (ONNX Runtime's DynamicQuantizeMatMul): faster, slightly different vectors.</summary>
    Int8,

    /// <summary>The published float32 weights.</summary>
    Float32,
}

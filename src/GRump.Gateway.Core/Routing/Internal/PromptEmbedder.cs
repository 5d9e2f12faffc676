using System.IO.Hashing;
using System.Runtime.InteropServices;
using BitFaster.Caching.Lru;
using GRump.Gateway.Embeddings;

namespace GRump.Gateway.Routing.Internal;

/// <summary>
/// Sentence vectors of classifier texts (<see cref="RoutingText"/>) from the shared local model, with an LRU of recent
/// prompts: a repeated prompt (a retry, a template, a cache miss after eviction) is classified without running the model.
/// Keyed by a 128-bit hash of the text, so the cache holds 16 bytes + one 1.5 KB vector per entry, never prompt text.
/// </summary>
internal sealed class PromptEmbedder
{
    private readonly LocalSentenceModel _model;
    private readonly ConcurrentLru<UInt128, float[]>? _cache;
    private long _lookups;

    public PromptEmbedder(LocalSentenceModel model, int cacheEntries)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = model;
        _cache = cacheEntries > 0 ? new ConcurrentLru<UInt128, float[]>(Environment.ProcessorCount, Math.Max(3, cacheEntries), EqualityComparer<UInt128>.Default) : null;
    }

    public LocalSentenceModel Model => _model;

    /// <summary>Prompt vectors asked for so far (cached or not).</summary>
    public long Lookups => Interlocked.Read(ref _lookups);

    /// <summary>The unit vector of <paramref name="text"/>; <paramref name="cached"/> says whether the model ran.</summary>
    public float[] Embed(string text, out bool cached)
    {
        ArgumentNullException.ThrowIfNull(text);
        Interlocked.Increment(ref _lookups);
        if (_cache is null)
        {
            cached = false;
            return _model.Embed(text);
        }

        var key = XxHash128.HashToUInt128(MemoryMarshal.AsBytes(text.AsSpan()));
        if (_cache.TryGet(key, out var vector))
        {
            cached = true;
            return vector;
        }

        cached = false;
        vector = _model.Embed(text);
        _cache.AddOrUpdate(key, vector);
        return vector;
    }

    /// <summary>Vectors of many texts (the exemplars at load), not cached; cancellable between batches of <see cref="Batch"/>.</summary>
    public float[][] EmbedMany(IReadOnlyList<string> texts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var vectors = new float[texts.Count][];
        for (var start = 0; start < texts.Count; start += Batch)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var count = Math.Min(Batch, texts.Count - start);
            var batch = _model.Embed(texts.Skip(start).Take(count).ToArray(), out _);
            batch.CopyTo(vectors, start);
        }

        return vectors;
    }

    /// <summary>Texts per run when embedding many: small enough to stop soon on shutdown, large enough to keep ONNX Runtime busy.</summary>
    public const int Batch = 64;
}

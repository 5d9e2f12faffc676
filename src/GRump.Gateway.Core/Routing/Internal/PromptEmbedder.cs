using BitFaster.Caching.Lru;
using GRump.Gateway.Embeddings;

namespace GRump.Gateway.Routing.Internal;

/// <summary>
/// Sentence vectors of classifier texts (<see cref="RoutingText"/>) from the router's encoder (the local sentence model
/// cut after <c>Routing:EncoderLayers</c>), read from the first
/// <see cref="WordPieces"/> word pieces of the ask. Before running the model it looks in the precomputed exemplar vectors
/// (<see cref="ExemplarVectors"/>) and in an LRU of recent prompts: a built-in exemplar, a repeated prompt (a retry, a
/// template) is classified without the model. The LRU is keyed by a 128-bit hash of the text, so it holds 16 bytes + one
/// 1.5 KB vector per entry, never prompt text.
/// </summary>
internal sealed class PromptEmbedder
{
    /// <summary>
    /// Word pieces read of an ask ([CLS] and [SEP] included): an ask is an instruction (a pasted document is cut off before,
    /// <see cref="RoutingText"/>), and its first pieces say what the task is; the surface features read the whole ask.
    /// A run costs time superlinear in its length. With the two-layer encoder, 24 and 32 pieces missed fewer complex
    /// prompts than 48 or 64 in cross-validation on the training split (9, 9, 12 and 13 of 166; docs/routing.md, The
    /// encoder).
    /// </summary>
    public const int DefaultWordPieces = 24;

    private readonly LocalSentenceModel _model;
    private readonly ExemplarVectors _precomputed;
    private readonly ConcurrentLru<UInt128, float[]>? _cache;
    private long _lookups;

    public PromptEmbedder(LocalSentenceModel model, int cacheEntries, int wordPieces = DefaultWordPieces, ExemplarVectors? precomputed = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(wordPieces, 3);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(wordPieces, LocalSentenceModel.MaxWordPieces);
        _model = model;
        WordPieces = wordPieces;
        precomputed ??= ExemplarVectors.BuiltIn;
        // Vectors of another cut (or model width, precision or layer) are other vectors: then nothing is precomputed.
        _precomputed = precomputed.WordPieces == wordPieces && precomputed.Dimensions == LocalSentenceModel.Dimensions && precomputed.Precision == model.Precision
            && precomputed.Layers == model.Layers
            ? precomputed
            : ExemplarVectors.Empty;
        _cache = cacheEntries > 0 ? new ConcurrentLru<UInt128, float[]>(Environment.ProcessorCount, Math.Max(3, cacheEntries), EqualityComparer<UInt128>.Default) : null;
    }

    public LocalSentenceModel Model => _model;

    public int WordPieces { get; }

    /// <summary>Precomputed vectors in use (0 when the shipped set was made with another cut).</summary>
    public int Precomputed => _precomputed.Count;

    /// <summary>Prompt vectors asked for so far (cached or not).</summary>
    public long Lookups => Interlocked.Read(ref _lookups);

    /// <summary>The unit vector of <paramref name="text"/>; <paramref name="cached"/> says whether the model did not run. Loads the model if needed (waits).</summary>
    public float[] Embed(string text, out bool cached)
    {
        ArgumentNullException.ThrowIfNull(text);
        Interlocked.Increment(ref _lookups);
        var key = ExemplarVectors.Key(text);
        if (TryKnown(key, out var vector))
        {
            cached = true;
            return vector;
        }

        cached = false;
        return Run(key, text);
    }

    /// <summary>
    /// Like <see cref="Embed"/>, but never waits for the model to load: when the vector is not known and the model is not
    /// loaded, starts loading it in the background and returns false (the caller decides without the vector).
    /// </summary>
    public bool TryEmbed(string text, out float[] vector, out bool cached)
    {
        ArgumentNullException.ThrowIfNull(text);
        var key = ExemplarVectors.Key(text);
        if (TryKnown(key, out vector))
        {
            Interlocked.Increment(ref _lookups);
            cached = true;
            return true;
        }

        cached = false;
        if (!_model.IsLoaded)
        {
            _model.StartLoading();
            vector = [];
            return false;
        }

        Interlocked.Increment(ref _lookups);
        vector = Run(key, text);
        return true;
    }

    /// <summary>Vectors of many texts (the exemplars when training): precomputed ones as they are, the rest through the model (loaded if needed) in batches of <see cref="Batch"/>, cancellable between them; not cached.</summary>
    public float[][] EmbedMany(IReadOnlyList<string> texts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var vectors = new float[texts.Count][];
        var missing = new List<int>();
        for (var i = 0; i < texts.Count; i++)
        {
            if (_precomputed.TryGet(ExemplarVectors.Key(texts[i]), out var vector))
            {
                vectors[i] = vector;
            }
            else
            {
                missing.Add(i);
            }
        }

        for (var start = 0; start < missing.Count; start += Batch)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var batch = missing.GetRange(start, Math.Min(Batch, missing.Count - start));
            var embedded = _model.Embed(batch.ConvertAll(i => texts[i]), WordPieces, out _);
            for (var j = 0; j < batch.Count; j++)
            {
                vectors[batch[j]] = embedded[j];
            }
        }

        return vectors;
    }

    /// <summary>Texts per run when embedding many: small enough to stop soon on shutdown, large enough to keep ONNX Runtime busy.</summary>
    public const int Batch = 64;

    private bool TryKnown(UInt128 key, out float[] vector) =>
        _precomputed.TryGet(key, out vector) || (_cache is not null && _cache.TryGet(key, out vector!));

    private float[] Run(UInt128 key, string text)
    {
        var vector = _model.Embed([text], WordPieces, out _)[0];
        _cache?.AddOrUpdate(key, vector);
        return vector;
    }
}

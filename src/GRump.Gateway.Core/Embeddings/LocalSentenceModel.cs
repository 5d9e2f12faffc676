using GRump.Gateway.Embeddings.Internal;
using GRump.Gateway.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GRump.Gateway.Embeddings;

/// <summary>
/// The in-process all-MiniLM-L6-v2 sentence model (384-dimension unit vectors). The <c>local</c> embedding provider's
/// instance runs all <see cref="MiniLmModel.Layers"/> layers (the model's own vectors); the learned router has its own
/// instance cut after <c>Routing:EncoderLayers</c> (2: a third of the cost, and it routed better than the whole model;
/// docs/routing.md, The encoder). Loads on first use (~1 s, ~60 MB of weights at int8 for all layers) so a gateway that never needs it
/// never pays for it, and loads once however many callers use it. Thread-safe; disposing never waits for a load or a run
/// in progress (shutdown must not wait seconds for a model nobody will use): the last run out releases the weights. Runs
/// at <see cref="EmbeddingOptions.LocalModelPrecision"/> (int8 unless configured).
/// </summary>
public sealed class LocalSentenceModel(ILogger<LocalSentenceModel> logger, TimeProvider time, IOptions<EmbeddingOptions>? options = null, int layers = MiniLmModel.Layers)
    : IDisposable
{
    /// <summary>Transformer layers of the whole model (an instance can run fewer: <see cref="Layers"/>).</summary>
    public const int AllLayers = MiniLmModel.Layers;

    /// <summary>Length of every vector.</summary>
    public const int Dimensions = MiniLmModel.Dimensions;

    /// <summary>The most word pieces the model reads of one text.</summary>
    public const int MaxWordPieces = MiniLmModel.MaxWordPieces;

    private readonly Lock _loadLock = new();
    private MiniLmModel? _model;
    private Task? _backgroundLoad;
    private Exception? _loadFailure;
    private int _inFlight;
    private volatile bool _disposed;

    /// <summary>How the model computes: a vector of one precision is another vector than the other's.</summary>
    public LocalModelPrecision Precision { get; } = options?.Value.LocalModelPrecision ?? LocalModelPrecision.Int8;

    /// <summary>Layers this instance runs: a vector of the third layer is another vector than the sixth's.</summary>
    public int Layers { get; } = layers is >= 1 and <= AllLayers ? layers : throw new ArgumentOutOfRangeException(nameof(layers), layers, $"The model has 1 to {AllLayers} layers.");

    /// <summary>True once the weights are loaded.</summary>
    public bool IsLoaded => Volatile.Read(ref _model) is not null;

    /// <summary>Why the last background load (<see cref="StartLoading"/>) failed, if it did.</summary>
    public Exception? LoadFailure => Volatile.Read(ref _loadFailure);

    /// <summary>Unit vectors for <paramref name="texts"/>, in order; <paramref name="tokens"/> = word pieces processed.</summary>
    /// <remarks>Runs on the calling thread (one intra-op thread: the caller's cores are shared with requests).</remarks>
    /// <exception cref="ObjectDisposedException">The gateway is shutting down.</exception>
    public float[][] Embed(IReadOnlyList<string> texts, out long tokens) => Embed(texts, MaxWordPieces, out tokens);

    /// <summary>Unit vectors of at most the first <paramref name="maxWordPieces"/> word pieces (3–256, [CLS] and [SEP] included) of each text.</summary>
    public float[][] Embed(IReadOnlyList<string> texts, int maxWordPieces, out long tokens)
    {
        Enter();
        try
        {
            return Model().Embed(texts, out tokens, maxWordPieces);
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>The unit vector of one text (at most 256 word pieces are read).</summary>
    public float[] Embed(string text) => Embed([text], out _)[0];

    /// <summary>Loads the weights now (the first caller loads, concurrent callers wait for that one load).</summary>
    public void EnsureLoaded()
    {
        Enter();
        try
        {
            Model();
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>
    /// Starts loading the weights on a thread-pool thread unless they are loaded or loading, and returns at once: for a
    /// caller that must not wait (a routing decision decides without the model meanwhile). Tried once: a failure is kept
    /// in <see cref="LoadFailure"/> and logged once (a direct <see cref="Embed(string)"/> still tries, and throws).
    /// </summary>
    public void StartLoading()
    {
        if (IsLoaded || _disposed || Volatile.Read(ref _backgroundLoad) is not null)
        {
            return;
        }

        var load = new Task(() =>
        {
            try
            {
                EnsureLoaded();
            }
            catch (ObjectDisposedException)
            {
                // Shutting down: nobody needs the model any more.
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                Volatile.Write(ref _loadFailure, exception);
                EmbeddingsLog.LocalModelLoadFailed(logger, ModelRegistry.LocalEmbedding, exception);
            }
        }, TaskCreationOptions.DenyChildAttach);
        if (Interlocked.CompareExchange(ref _backgroundLoad, load, null) is null)
        {
            load.Start(TaskScheduler.Default);
        }
    }

    public void Dispose()
    {
        _disposed = true;
        if (Volatile.Read(ref _inFlight) == 0)
        {
            Release();
        }
    }

    private void Enter()
    {
        Interlocked.Increment(ref _inFlight);
        if (_disposed)
        {
            Exit();
            throw new ObjectDisposedException(nameof(LocalSentenceModel), "The local sentence model is shut down.");
        }
    }

    private void Exit()
    {
        if (Interlocked.Decrement(ref _inFlight) == 0 && _disposed)
        {
            Release();
        }
    }

    private void Release() => Interlocked.Exchange(ref _model, null)?.Dispose();

    private MiniLmModel Model()
    {
        if (Volatile.Read(ref _model) is { } loaded)
        {
            return loaded;
        }

        lock (_loadLock)
        {
            if (_model is null)
            {
                var started = time.GetTimestamp();
                var model = MiniLmModel.Load(Precision, Layers);
                Volatile.Write(ref _model, model);
                EmbeddingsLog.LocalModelLoaded(logger, ModelRegistry.LocalEmbedding, Layers, Precision, time.GetElapsedTime(started).TotalMilliseconds);
            }

            return _model;
        }
    }
}

namespace GRump.Gateway.Embeddings.Internal;

/// <summary>
/// One caller's texts in one coalescer: vectors arrive by index from whichever batches carried them; the caller's task
/// completes when the last one lands, or fails with the first batch failure.
/// </summary>
internal sealed class EmbeddingWaiter
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly float[][] _vectors;
    private readonly double[] _tokens;
    private int _remaining;
    private volatile bool _abandoned;

    public EmbeddingWaiter(int count)
    {
        _vectors = new float[count][];
        _tokens = new double[count];
        _remaining = count;
    }

    public Task Completion => _done.Task;

    /// <summary>The coalescer's forming batch this caller was last counted in (the reader's bookkeeping, under its lock).</summary>
    public long CountedInBatch { get; set; } = -1;

    /// <summary>The caller left (cancelled) or never fully queued (queue full): its texts not yet sent are dropped.</summary>
    public bool Abandoned => _abandoned;

    public IReadOnlyList<float[]> Vectors => _vectors;

    /// <summary>Upstream tokens attributed to this caller (each batch's usage shared out by estimated tokens).</summary>
    public long InputTokens
    {
        get
        {
            double sum = 0;
            foreach (var tokens in _tokens)
            {
                sum += tokens;
            }
            return (long)Math.Round(sum, MidpointRounding.AwayFromZero);
        }
    }

    public void Abandon() => _abandoned = true;

    public void Deliver(int index, float[] vector, double tokens)
    {
        _vectors[index] = vector;
        _tokens[index] = tokens;
        if (Interlocked.Decrement(ref _remaining) == 0)
        {
            _done.TrySetResult();
        }
    }

    public void Fail(Exception error) => _done.TrySetException(error);
}

using System.Threading.Channels;

namespace GRump.Gateway.Embeddings.Internal;

/// <summary>One text of one caller, as queued: which caller, which of its inputs, and its estimated tokens.</summary>
internal readonly record struct EmbeddingTicket(EmbeddingWaiter Waiter, int Index, string Text, int Tokens, long EnqueuedAt);

/// <summary>
/// The bounded queue of texts for one coalescer. Writers never wait (a full queue is an answer: RESOURCE_EXHAUSTED);
/// the coalescer's single reader drains it on shutdown.
/// </summary>
internal sealed class EmbeddingBatchQueue
{
    private readonly Channel<EmbeddingTicket> _channel;
    private volatile bool _completed;

    public EmbeddingBatchQueue(int capacity)
    {
        Capacity = capacity;
        _channel = Channel.CreateBounded<EmbeddingTicket>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false,
            AllowSynchronousContinuations = false,
        });
    }

    public int Capacity { get; }

    public int Count => _channel.Reader.Count;

    public bool IsCompleted => _completed;

    /// <summary>False when the queue is full or completed.</summary>
    public bool TryEnqueue(in EmbeddingTicket ticket) => _channel.Writer.TryWrite(ticket);

    public bool TryDequeue(out EmbeddingTicket ticket) => _channel.Reader.TryRead(out ticket);

    /// <summary>True when a text is there to read; false once the queue is completed and empty.</summary>
    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken) => _channel.Reader.WaitToReadAsync(cancellationToken);

    /// <summary>No more writes; the reader finishes what is queued.</summary>
    public void Complete()
    {
        _completed = true;
        _channel.Writer.TryComplete();
    }
}

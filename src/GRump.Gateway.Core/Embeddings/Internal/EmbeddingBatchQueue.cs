using System.Threading.Channels;

namespace GRump.Gateway.Embeddings.Internal;

/// <summary>One text of one caller, as queued: which caller, which of its inputs, and its estimated tokens.</summary>
internal readonly record struct EmbeddingTicket(EmbeddingWaiter Waiter, int Index, string Text, int Tokens, long EnqueuedAt);

/// <summary>
/// The bounded queue of texts for one coalescer, bounded twice: by texts (<see cref="Capacity"/>) and by their characters
/// (<see cref="MaxChars"/>). Writers never wait (a full queue is an answer: RESOURCE_EXHAUSTED); the coalescer's single
/// reader drains it on shutdown.
/// </summary>
internal sealed class EmbeddingBatchQueue
{
    private readonly Channel<EmbeddingTicket> _channel;
    private volatile bool _completed;
    private long _chars;

    public EmbeddingBatchQueue(int capacity, long maxChars)
    {
        Capacity = capacity;
        MaxChars = maxChars;
        _channel = Channel.CreateBounded<EmbeddingTicket>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false,
            AllowSynchronousContinuations = false,
        });
    }

    public int Capacity { get; }

    /// <summary>Most characters of text reserved or queued at once.</summary>
    public long MaxChars { get; }

    public int Count => _channel.Reader.Count;

    /// <summary>Characters reserved for texts being queued or queued now.</summary>
    public long Chars => Volatile.Read(ref _chars);

    public bool IsCompleted => _completed;

    /// <summary>
    /// Reserves room for <paramref name="chars"/> characters, for all of one call's texts at once; false when that would
    /// pass <see cref="MaxChars"/>. Each queued text's characters are given back as the reader takes it; a writer gives
    /// back what it reserved and did not queue (<see cref="Unreserve"/>).
    /// </summary>
    public bool TryReserve(long chars)
    {
        var current = Volatile.Read(ref _chars);
        while (true)
        {
            if (current + chars > MaxChars)
            {
                return false;
            }
            var seen = Interlocked.CompareExchange(ref _chars, current + chars, current);
            if (seen == current)
            {
                return true;
            }
            current = seen;
        }
    }

    public void Unreserve(long chars) => Interlocked.Add(ref _chars, -chars);

    /// <summary>False when the queue is full or completed. The ticket's characters must have been reserved.</summary>
    public bool TryEnqueue(in EmbeddingTicket ticket) => _channel.Writer.TryWrite(ticket);

    public bool TryDequeue(out EmbeddingTicket ticket)
    {
        if (!_channel.Reader.TryRead(out ticket))
        {
            return false;
        }
        Unreserve(ticket.Text.Length);
        return true;
    }

    /// <summary>True when a text is there to read; false once the queue is completed and empty.</summary>
    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken) => _channel.Reader.WaitToReadAsync(cancellationToken);

    /// <summary>No more writes; the reader finishes what is queued.</summary>
    public void Complete()
    {
        _completed = true;
        _channel.Writer.TryComplete();
    }
}

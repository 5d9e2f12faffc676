using System.Threading.Channels;

namespace GRump.Gateway.Cost.Internal;

/// <summary>One record waiting to be committed, and the caller waiting for the commit.</summary>
internal sealed record PendingRecord(CostRecord Record, BudgetReservation? Reservation, TaskCompletionSource Committed);

/// <summary>
/// Records on their way to SQLite (the embedded ledger, or the Redis store's journal): bounded (a full queue makes
/// callers wait — backpressure, never a dropped record), one reader that commits them in batches.
/// </summary>
internal sealed class LedgerWriteQueue<T>(int capacity)
{
    private readonly Channel<T> _channel = Channel.CreateBounded<T>(new BoundedChannelOptions(capacity)
    {
        SingleReader = true,
        SingleWriter = false,
        AllowSynchronousContinuations = false,
        FullMode = BoundedChannelFullMode.Wait,
    });

    public ValueTask WriteAsync(T item, CancellationToken cancellationToken) => _channel.Writer.WriteAsync(item, cancellationToken);

    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken) => _channel.Reader.WaitToReadAsync(cancellationToken);

    public bool TryRead(out T item) => _channel.Reader.TryRead(out item!);

    /// <summary>No more records; the reader drains what is queued, then stops.</summary>
    public void Complete() => _channel.Writer.TryComplete();
}

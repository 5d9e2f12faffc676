using System.Threading.Channels;

namespace GRump.Gateway.Cost.Internal;

/// <summary>
/// An auto-reset wake-up for one waiting loop: <see cref="Set"/> any number of times, the next wait returns once.
/// A set while nobody waits is kept (never lost), so a loop that checks its work and then waits cannot miss it.
/// </summary>
internal sealed class WakeSignal
{
    private readonly Channel<bool> _channel = Channel.CreateBounded<bool>(new BoundedChannelOptions(1)
    {
        SingleReader = true,
        SingleWriter = false,
        AllowSynchronousContinuations = false,
        FullMode = BoundedChannelFullMode.DropWrite,
    });

    public void Set() => _channel.Writer.TryWrite(true);

    /// <summary>Returns when set, or after <paramref name="timeout"/> on <paramref name="time"/>'s clock (infinite: only when set).</summary>
    public async Task WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        if (_channel.Reader.TryRead(out _))
        {
            return;
        }
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var set = _channel.Reader.WaitToReadAsync(wait.Token).AsTask();
        if (timeout != Timeout.InfiniteTimeSpan)
        {
            await Task.WhenAny(set, Task.Delay(timeout, time, wait.Token)).ConfigureAwait(false);
            await wait.CancelAsync().ConfigureAwait(false);
        }
        else
        {
            await set.ConfigureAwait(false);
        }
        cancellationToken.ThrowIfCancellationRequested();
        _channel.Reader.TryRead(out _);
    }
}

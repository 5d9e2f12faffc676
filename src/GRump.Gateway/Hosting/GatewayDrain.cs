namespace GRump.Gateway.Hosting;

/// <summary>
/// Where the gateway stands in a graceful shutdown. <see cref="DrainPhase.Serving"/> until a stop signal;
/// <see cref="DrainPhase.Draining"/> at once after it (not ready, still serving new calls for
/// <see cref="GatewayOptions.DrainDelay"/>); then <see cref="DrainPhase.Refusing"/> (new calls answered UNAVAILABLE,
/// calls in flight finish within <see cref="GatewayOptions.ShutdownTimeout"/>).
/// </summary>
public sealed class GatewayDrain : IDisposable
{
    private readonly CancellationTokenSource _refusing = new();
    private int _phase;

    public DrainPhase Phase => (DrainPhase)Volatile.Read(ref _phase);

    /// <summary>Fires when new calls start being refused: open-ended streams (live feeds) end on it so shutdown need not wait for them.</summary>
    public CancellationToken Refusing => _refusing.Token;

    /// <summary>Moves to <paramref name="phase"/> if it is later than the current one; true when it moved.</summary>
    internal bool Advance(DrainPhase phase)
    {
        var current = Volatile.Read(ref _phase);
        while (current < (int)phase)
        {
            var seen = Interlocked.CompareExchange(ref _phase, (int)phase, current);
            if (seen == current)
            {
                if (phase == DrainPhase.Refusing)
                {
                    _refusing.Cancel();
                }

                return true;
            }

            current = seen;
        }

        return false;
    }

    public void Dispose() => _refusing.Dispose();
}

/// <summary>The phases of a graceful shutdown, in order.</summary>
public enum DrainPhase
{
    Serving,
    Draining,
    Refusing,
}

namespace GRump.LoadTests.Load;

/// <summary>The load engine's time source: monotonic elapsed time and a wait until a point on it.</summary>
internal abstract class LoadClock
{
    /// <summary>Monotonic time since an arbitrary origin.</summary>
    public abstract TimeSpan Now { get; }

    /// <summary>Completes at or after <paramref name="when"/> (on this clock).</summary>
    public abstract ValueTask WaitUntilAsync(TimeSpan when, CancellationToken cancellationToken);
}

/// <summary>Wall-clock time from a <see cref="TimeProvider"/>'s high-resolution timestamp.</summary>
internal sealed class SystemLoadClock(TimeProvider time) : LoadClock
{
    public static readonly SystemLoadClock Instance = new(TimeProvider.System);

    private readonly long _origin = time.GetTimestamp();

    public override TimeSpan Now => time.GetElapsedTime(_origin);

    public override async ValueTask WaitUntilAsync(TimeSpan when, CancellationToken cancellationToken)
    {
        var remaining = when - Now;
        // Timers fire at about 1 ms granularity: sleep the bulk, yield for the rest. Calls started a little late are
        // still charged from their schedule, so the precision only matters for how evenly load arrives.
        if (remaining > TimeSpan.FromMilliseconds(1.5))
        {
            await Task.Delay(remaining - TimeSpan.FromMilliseconds(1), time, cancellationToken).ConfigureAwait(false);
        }

        while (Now < when)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await Task.Yield();
        }
    }
}

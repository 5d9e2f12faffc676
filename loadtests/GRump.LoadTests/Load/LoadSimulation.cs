using System.Globalization;

namespace GRump.LoadTests.Load;

/// <summary>How calls are issued during a scenario's run.</summary>
internal abstract record LoadSimulation
{
    /// <summary>e.g. <c>c=32</c>, <c>500/s</c>, <c>10→200/s</c>.</summary>
    public abstract string Describe();
}

/// <summary>
/// Closed model: <see cref="Concurrency"/> virtual users each make one call after another. Throughput follows latency
/// (a slow server is asked less), so latency here is service time, not what a client with its own schedule sees.
/// </summary>
internal sealed record ClosedModel(int Concurrency) : LoadSimulation
{
    public override string Describe() => $"c={Concurrency}";
}

/// <summary>
/// Closed model whose users join one by one: user <c>k</c> of <see cref="To"/> starts at
/// <c>k × duration / To</c> (the first <see cref="From"/> at once).
/// </summary>
internal sealed record ConcurrencyRamp(int From, int To) : LoadSimulation
{
    public override string Describe() => $"c={From}→{To}";
}

/// <summary>
/// Open model: calls start on a fixed schedule (<see cref="FromRate"/> per second, rising linearly to
/// <see cref="ToRate"/> over the run) whether or not earlier calls finished. Latency is measured from each call's
/// scheduled start, so a stalled server is charged for the calls it delayed (no coordinated omission).
/// </summary>
internal sealed record OpenModel(double FromRate, double ToRate) : LoadSimulation
{
    public OpenModel(double rate)
        : this(rate, rate)
    {
    }

    /// <summary>Calls allowed in flight before the scheduler waits (their latency still counts from their schedule).</summary>
    public int MaxInFlight { get; init; } = 10_000;

    public override string Describe() => FromRate == ToRate
        ? string.Create(CultureInfo.InvariantCulture, $"{FromRate:0.##}/s")
        : string.Create(CultureInfo.InvariantCulture, $"{FromRate:0.##}→{ToRate:0.##}/s");

    /// <summary>
    /// When call <paramref name="index"/> (0-based) is due, from the start of a run of <paramref name="duration"/>:
    /// the inverse of N(t) = r0·t + (r1 − r0)·t² / (2D).
    /// </summary>
    public TimeSpan ScheduledAt(long index, TimeSpan duration)
    {
        var d = duration.TotalSeconds;
        var a = (ToRate - FromRate) / (2 * d);
        double seconds;
        if (Math.Abs(a) < 1e-12)
        {
            seconds = index / FromRate;
        }
        else
        {
            var discriminant = FromRate * FromRate + 4 * a * index;
            seconds = discriminant < 0 ? double.PositiveInfinity : (-FromRate + Math.Sqrt(discriminant)) / (2 * a);
        }

        return double.IsFinite(seconds) && seconds < TimeSpan.MaxValue.TotalSeconds / 2 ? TimeSpan.FromSeconds(seconds) : TimeSpan.MaxValue;
    }
}

using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GRump.Gateway.Memory.Internal;

/// <summary>
/// Samples how much the process allocates and compiles every <see cref="MemoryOptions.CheckInterval"/>; the first quiet interval after
/// activity (start-up and the learned router's training count as activity) runs one aggressive, compacting full
/// collection, which returns the GC's free memory to the system, then trims the C library's malloc arenas
/// (<see cref="NativeHeap"/>). Measured in docs/performance.md (Footprint): the start-up garbage, the gen0 budget grown
/// under load and the native heap's freed pages otherwise stay resident while the gateway idles.
/// </summary>
internal sealed class IdleMemoryTrimmer : BackgroundService
{
    private readonly IOptions<MemoryOptions> _options;
    private readonly TimeProvider _time;
    private readonly Func<ProcessActivity> _activity;
    private readonly Action _trim;
    private ProcessActivity _last;
    private bool _active = true;
    private long? _lastTrim;
    private PeriodicTimer? _timer;

    /// <summary>Methods the JIT may compile in an interval that still counts as quiet.</summary>
    internal const int QuietJitMethods = 8;

    public IdleMemoryTrimmer(IOptions<MemoryOptions> options, TimeProvider time, ILogger<IdleMemoryTrimmer> logger)
        : this(options, time, Activity, () => Trim(time, logger))
    {
    }

    /// <summary>For tests: the activity counter and the trim itself come from the caller. The options are read at start, not here (an invalid value fails the host's validation first).</summary>
    internal IdleMemoryTrimmer(IOptions<MemoryOptions> options, TimeProvider time, Func<ProcessActivity> activity, Action trim)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(activity);
        ArgumentNullException.ThrowIfNull(trim);
        _options = options;
        _time = time;
        _activity = activity;
        _trim = trim;
        _last = activity();
    }

    /// <summary>Trims run so far.</summary>
    public int Trims { get; private set; }

    /// <summary>One sample: trims when this interval was quiet, something happened since the last trim, and the last one is old enough.</summary>
    internal bool Tick()
    {
        var now = _activity();
        var allocated = now.AllocatedBytes - _last.AllocatedBytes;
        var compiled = now.CompiledMethods - _last.CompiledMethods;
        _last = now;
        if (allocated >= _options.Value.IdleAllocationBytes)
        {
            _active = true; // work: the next quiet interval trims what it left behind
            return false;
        }

        // The JIT must be quiet too, but it does not count as work: after a load, tier-1 recompilation goes on for seconds
        // (its scratch memory would land in the malloc arenas right after a trim), while an idle gateway still compiles a
        // method now and then (a probe's first visit) — not worth another trim.
        if (compiled > QuietJitMethods)
        {
            return false;
        }

        if (!_active || (_lastTrim is { } last && _time.GetElapsedTime(last) < _options.Value.MinimumTrimInterval))
        {
            return false;
        }

        _trim();
        Trims++;
        _lastTrim = _time.GetTimestamp();
        _active = false;
        _last = _activity(); // the trim's own allocations are not activity
        return true;
    }

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // The timer starts with the host, not when ExecuteAsync gets a thread (it runs in the background).
        _timer = _options.Value.IdleTrim ? new PeriodicTimer(_options.Value.CheckInterval, _time) : null;
        return base.StartAsync(cancellationToken);
    }

    public override void Dispose()
    {
        _timer?.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_timer is not { } timer)
        {
            return;
        }

        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                Tick();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private static ProcessActivity Activity() => new(GC.GetTotalAllocatedBytes(precise: false), System.Runtime.JitInfo.GetCompiledMethodCount());

    private static void Trim(TimeProvider time, ILogger logger)
    {
        var before = GC.GetGCMemoryInfo().TotalCommittedBytes;
        var started = time.GetTimestamp();
        // Aggressive: compact every generation and decommit all free space (the gen0 budget included) instead of keeping
        // it for allocations that an idle gateway is not making.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        NativeHeap.Trim();
        var elapsed = time.GetElapsedTime(started);
        const double MiB = 1024 * 1024;
        MemoryLog.Trimmed(logger, elapsed.TotalMilliseconds, before / MiB, GC.GetGCMemoryInfo().TotalCommittedBytes / MiB, Environment.WorkingSet / MiB);
    }
}

/// <summary>Counters that move while the process works: bytes allocated and methods compiled, since start.</summary>
internal readonly record struct ProcessActivity(long AllocatedBytes, long CompiledMethods);

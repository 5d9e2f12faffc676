using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace GRump.Gateway.Diagnostics;

/// <summary><c>Diagnostics:Monitor</c> configuration.</summary>
public sealed class PerformanceMonitorOptions
{
    public const string SectionName = "Diagnostics:Monitor";

    /// <summary>Sampling interval.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>One sample of the process's health.</summary>
public sealed record PerformanceSample(
    DateTimeOffset At,
    double CpuPercent,
    long WorkingSetBytes,
    long GcHeapBytes,
    int Gen0Collections,
    int Gen1Collections,
    int Gen2Collections,
    double GcPausePercent,
    long ThreadPoolQueueLength,
    int ThreadPoolThreads,
    double SchedulingLagMs,
    TimeSpan Uptime);

/// <summary>
/// Samples the process on a timer: CPU % (of all cores), memory, GC counts and pause share, thread-pool queue and
/// threads, and scheduling lag — how late a timer callback runs, .NET's equivalent of Node's event-loop lag (a
/// starved thread pool shows up here first). The latest sample feeds CostService.GetStats and the dashboard.
/// </summary>
public sealed class PerformanceMonitor(IOptions<PerformanceMonitorOptions> options, TimeProvider time) : BackgroundService
{
    private readonly Process _process = Process.GetCurrentProcess();
    private readonly DateTimeOffset _started = time.GetUtcNow();
    private volatile PerformanceSample? _latest;

    /// <summary>The most recent sample (taken on demand before the first interval has passed).</summary>
    public PerformanceSample Latest => _latest ?? Sample(TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.Interval;
        var lastCpu = _process.TotalProcessorTime;
        var lastPause = GC.GetTotalPauseDuration();
        var last = time.GetTimestamp();
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                var elapsed = time.GetElapsedTime(last);
                last = time.GetTimestamp();
                // The tick should have come after one interval: anything beyond is time the scheduler kept us waiting.
                var lag = elapsed > interval ? elapsed - interval : TimeSpan.Zero;
                _process.Refresh();
                var cpu = _process.TotalProcessorTime;
                var pause = GC.GetTotalPauseDuration();
                _latest = Sample(cpu - lastCpu, pause - lastPause, elapsed, lag);
                lastCpu = cpu;
                lastPause = pause;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private PerformanceSample Sample(TimeSpan cpu, TimeSpan pause, TimeSpan elapsed, TimeSpan lag)
    {
        var wall = elapsed.TotalMilliseconds;
        return new PerformanceSample(
            time.GetUtcNow(),
            wall > 0 ? cpu.TotalMilliseconds * 100 / (wall * Environment.ProcessorCount) : 0,
            Environment.WorkingSet,
            GC.GetTotalMemory(false),
            GC.CollectionCount(0),
            GC.CollectionCount(1),
            GC.CollectionCount(2),
            wall > 0 ? pause.TotalMilliseconds * 100 / wall : 0,
            ThreadPool.PendingWorkItemCount,
            ThreadPool.ThreadCount,
            lag.TotalMilliseconds,
            time.GetUtcNow() - _started);
    }

    public override void Dispose()
    {
        _process.Dispose();
        base.Dispose();
    }
}

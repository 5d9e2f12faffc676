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
    TimeSpan Uptime)
{
    /// <summary>Working set as a percentage of the memory the runtime may use (the container limit when there is one).</summary>
    public double MemoryPercentOfLimit { get; init; }

    /// <summary>Requests per second over the last interval.</summary>
    public double RequestRate { get; init; }
}

/// <summary>Counts requests for the monitor's request rate (one increment per HTTP request, from a middleware).</summary>
public sealed class RequestCounter
{
    private long _count;

    public long Count => Interlocked.Read(ref _count);

    public void Increment() => Interlocked.Increment(ref _count);
}

/// <summary>
/// Samples the process on a timer: CPU % (of all cores), memory, GC counts and pause share, thread-pool queue and
/// threads, and scheduling lag — how late a timer callback runs, .NET's equivalent of Node's event-loop lag (a
/// starved thread pool shows up here first). The latest sample feeds CostService.GetStats and the dashboard.
/// </summary>
public sealed class PerformanceMonitor(IOptions<PerformanceMonitorOptions> options, TimeProvider time, RequestCounter requests) : BackgroundService
{
    private readonly Process _process = Process.GetCurrentProcess();
    private readonly DateTimeOffset _started = time.GetUtcNow();
    private volatile PerformanceSample? _latest;

    /// <summary>The most recent sample (taken on demand before the first interval has passed).</summary>
    public PerformanceSample Latest => _latest ?? Sample(TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, 0);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.Interval;
        var lastCpu = _process.TotalProcessorTime;
        var lastPause = GC.GetTotalPauseDuration();
        var lastRequests = requests.Count;
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
                var count = requests.Count;
                _latest = Sample(cpu - lastCpu, pause - lastPause, elapsed, lag, count - lastRequests);
                lastCpu = cpu;
                lastPause = pause;
                lastRequests = count;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private PerformanceSample Sample(TimeSpan cpu, TimeSpan pause, TimeSpan elapsed, TimeSpan lag, long requestsInInterval)
    {
        var wall = elapsed.TotalMilliseconds;
        var limit = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
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
            time.GetUtcNow() - _started)
        {
            MemoryPercentOfLimit = limit > 0 ? Environment.WorkingSet * 100d / limit : 0,
            RequestRate = wall > 0 ? requestsInInterval * 1000d / wall : 0,
        };
    }

    public override void Dispose()
    {
        _process.Dispose();
        base.Dispose();
    }
}

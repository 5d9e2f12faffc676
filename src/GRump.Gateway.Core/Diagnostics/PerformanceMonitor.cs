using System.Diagnostics;
using System.Diagnostics.Metrics;
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
public sealed class PerformanceMonitor : BackgroundService
{
    private readonly IOptions<PerformanceMonitorOptions> _options;
    private readonly TimeProvider _time;
    private readonly RequestCounter _requests;
    private readonly Process _process = Process.GetCurrentProcess();
    private readonly DateTimeOffset _started;
    private volatile PerformanceSample? _latest;

    public PerformanceMonitor(IOptions<PerformanceMonitorOptions> options, TimeProvider time, RequestCounter requests, IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _options = options;
        _time = time;
        _requests = requests;
        _started = time.GetUtcNow();
        // The latest sample as gauges (what /api/cost/stats shows, for dashboards and alerts).
        var meter = meterFactory.Create(GatewayTelemetry.Name);
        meter.CreateObservableGauge("gateway_process_cpu_percent", () => Latest.CpuPercent, description: "Process CPU over the last interval, % of all cores.");
        meter.CreateObservableGauge("gateway_memory_percent_of_limit", () => Latest.MemoryPercentOfLimit, description: "Working set, % of the memory limit.");
        meter.CreateObservableGauge("gateway_gc_pause_percent", () => Latest.GcPausePercent, description: "Time paused by the GC over the last interval, %.");
        meter.CreateObservableGauge("gateway_thread_pool_queue_length", () => Latest.ThreadPoolQueueLength, description: "Work items waiting for a thread-pool thread.");
        meter.CreateObservableGauge("gateway_scheduling_lag_seconds", () => Latest.SchedulingLagMs / 1000, description: "How late the monitor's timer ran (the .NET event-loop lag).");
        meter.CreateObservableGauge("gateway_request_rate_per_second", () => Latest.RequestRate, description: "HTTP and gRPC requests per second over the last interval.");
    }

    /// <summary>The most recent sample (taken on demand before the first interval has passed).</summary>
    public PerformanceSample Latest => _latest ?? Sample(TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, 0);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = _options.Value.Interval;
        var lastCpu = _process.TotalProcessorTime;
        var lastPause = GC.GetTotalPauseDuration();
        var lastRequests = _requests.Count;
        var last = _time.GetTimestamp();
        using var timer = new PeriodicTimer(interval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                var elapsed = _time.GetElapsedTime(last);
                last = _time.GetTimestamp();
                // The tick should have come after one interval: anything beyond is time the scheduler kept us waiting.
                var lag = elapsed > interval ? elapsed - interval : TimeSpan.Zero;
                _process.Refresh();
                var cpu = _process.TotalProcessorTime;
                var pause = GC.GetTotalPauseDuration();
                var count = _requests.Count;
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
            _time.GetUtcNow(),
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
            _time.GetUtcNow() - _started)
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

namespace GRump.Gateway.Diagnostics;

/// <summary>What else the advisor looks at besides the process sample.</summary>
public sealed record GatewayHealthReadings(long CacheLookups, double CacheHitRate, bool CacheCircuitOpen, bool RedisConfigured, bool RedisDown, int WorkerQueueDepth, int WorkerQueueCapacity);

/// <summary>The verdict: is the gateway under high load, and what to do about what it sees, in plain words with numbers.</summary>
public sealed record PerformanceAdvice(bool IsHighLoad, IReadOnlyList<string> Recommendations);

/// <summary>
/// The monitor's rules: CPU &gt; 80 %, memory &gt; 85 % of the limit, scheduling lag &gt; 100 ms, thread-pool
/// starvation, a worker queue past 80 %, a low cache hit rate, an open circuit, Redis down.
/// </summary>
public static class PerformanceAdvisor
{
    public const double CpuHighPercent = 80;
    public const double MemoryHighPercent = 85;
    public const double LagHighMs = 100;
    public const double LowHitRate = 0.2;
    public const long MinLookupsForHitRate = 100;

    public static PerformanceAdvice Evaluate(PerformanceSample sample, GatewayHealthReadings readings)
    {
        ArgumentNullException.ThrowIfNull(sample);
        ArgumentNullException.ThrowIfNull(readings);
        var advice = new List<string>();
        var high = false;
        if (sample.CpuPercent > CpuHighPercent)
        {
            high = true;
            advice.Add($"CPU is at {sample.CpuPercent:0} % of all cores: add replicas or cores; check /api/cost/stats for which work dominates.");
        }
        if (sample.MemoryPercentOfLimit > MemoryHighPercent)
        {
            high = true;
            advice.Add($"Memory is at {sample.MemoryPercentOfLimit:0} % of the limit: lower Cache:L1MaxBytes or raise the container's memory.");
        }
        if (sample.SchedulingLagMs > LagHighMs)
        {
            high = true;
            advice.Add($"Scheduling lag is {sample.SchedulingLagMs:0} ms (timers run late): the process is CPU-starved or blocking threads.");
        }
        if (sample.ThreadPoolQueueLength > sample.ThreadPoolThreads * 10L)
        {
            high = true;
            advice.Add($"Thread-pool starvation: {sample.ThreadPoolQueueLength} work items wait for {sample.ThreadPoolThreads} threads; look for blocking calls.");
        }
        if (readings.WorkerQueueCapacity > 0 && readings.WorkerQueueDepth * 100L > readings.WorkerQueueCapacity * 80L)
        {
            high = true;
            advice.Add($"The worker queue holds {readings.WorkerQueueDepth} of {readings.WorkerQueueCapacity} tasks: raise Workers:WorkerCount or shed load.");
        }
        if (readings.CacheLookups >= MinLookupsForHitRate && readings.CacheHitRate < LowHitRate)
        {
            advice.Add($"Cache hit rate is {readings.CacheHitRate:P0} over {readings.CacheLookups} lookups: send temperature 0 or a seed for repeatable prompts.");
        }
        if (readings.RedisDown)
        {
            advice.Add("Redis is unreachable: L2 is skipped and budgets/ledger on Redis cannot be shared; check Redis:Configuration.");
        }
        else if (readings.CacheCircuitOpen)
        {
            advice.Add("A cache tier's circuit is open after repeated faults: that tier is skipped until it recovers.");
        }
        return new PerformanceAdvice(high, advice);
    }
}

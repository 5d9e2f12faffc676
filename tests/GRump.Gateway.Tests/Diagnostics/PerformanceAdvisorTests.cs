using GRump.Gateway.Diagnostics;

namespace GRump.Gateway.Tests.Diagnostics;

public sealed class PerformanceAdvisorTests
{
    private static readonly PerformanceSample Calm = new(DateTimeOffset.UnixEpoch, 20, 100 << 20, 50 << 20, 1, 0, 0, 0.1, 0, 8, 2, TimeSpan.FromMinutes(5))
    {
        MemoryPercentOfLimit = 10,
        RequestRate = 50,
    };

    private static readonly GatewayHealthReadings Healthy = new(1000, 0.5, CacheCircuitOpen: false, RedisConfigured: true, RedisDown: false, WorkerQueueDepth: 0, WorkerQueueCapacity: 1000);

    [Fact]
    public void CalmReadings_AreNotHighLoad_AndNeedNoAdvice()
    {
        var advice = PerformanceAdvisor.Evaluate(Calm, Healthy);

        Assert.False(advice.IsHighLoad);
        Assert.Empty(advice.Recommendations);
    }

    public static TheoryData<string, PerformanceSample, GatewayHealthReadings, bool, string> Rules => new()
    {
        { "cpu", Calm with { CpuPercent = 93 }, Healthy, true, "CPU is at 93 %" },
        { "memory", Calm with { MemoryPercentOfLimit = 90 }, Healthy, true, "Memory is at 90 %" },
        { "lag", Calm with { SchedulingLagMs = 250 }, Healthy, true, "Scheduling lag is 250 ms" },
        { "starvation", Calm with { ThreadPoolQueueLength = 500, ThreadPoolThreads = 4 }, Healthy, true, "Thread-pool starvation: 500 work items" },
        { "worker queue", Calm, Healthy with { WorkerQueueDepth = 900 }, true, "worker queue holds 900 of 1000" },
        { "hit rate", Calm, Healthy with { CacheHitRate = 0.05 }, false, "Cache hit rate is 5 %" },
        { "circuit", Calm, Healthy with { CacheCircuitOpen = true }, false, "circuit is open" },
        { "redis", Calm, Healthy with { RedisDown = true, CacheCircuitOpen = true }, false, "Redis is unreachable" },
    };

    [Theory]
    [MemberData(nameof(Rules))]
    public void EachRule_FiresOnItsReading_WithTheNumbers(string rule, PerformanceSample sample, GatewayHealthReadings readings, bool highLoad, string expected)
    {
        var advice = PerformanceAdvisor.Evaluate(sample, readings);

        Assert.True(highLoad == advice.IsHighLoad, rule);
        Assert.Contains(advice.Recommendations, r => r.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void LowHitRate_IsIgnored_WithTooFewLookups()
    {
        var advice = PerformanceAdvisor.Evaluate(Calm, Healthy with { CacheLookups = 10, CacheHitRate = 0 });

        Assert.Empty(advice.Recommendations);
    }
}

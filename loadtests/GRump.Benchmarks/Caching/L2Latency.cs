using System.Diagnostics;
using System.Globalization;

namespace GRump.Benchmarks.Caching;

/// <summary>
/// L2 hit latency percentiles over loopback Redis (BenchmarkDotNet reports means and medians, not p99): sequential
/// GetAsync calls on a cache whose L1 cannot hold the entry, so every lookup is a Redis round trip.
/// usage: cache-l2-latency [redis, default $GRUMP_BENCH_REDIS] [calls, default 20000]
/// </summary>
internal static class L2Latency
{
    public static async Task<int> RunAsync(string[] args)
    {
        var redis = args.Length > 1 ? args[1] : Environment.GetEnvironmentVariable("GRUMP_BENCH_REDIS");
        if (string.IsNullOrEmpty(redis))
        {
            await Console.Error.WriteLineAsync("usage: cache-l2-latency <redis host:port> [calls]").ConfigureAwait(false);
            return 2;
        }
        var calls = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 20_000;
        var benchmarks = new TieredCacheBenchmarks();
        Environment.SetEnvironmentVariable("GRUMP_BENCH_REDIS", redis);
        benchmarks.Setup();
        try
        {
            for (var i = 0; i < 2_000; i++)
            {
                await benchmarks.L2Hit().ConfigureAwait(false); // warm-up
            }
            var ticks = new long[calls];
            for (var i = 0; i < calls; i++)
            {
                var start = Stopwatch.GetTimestamp();
                if (await benchmarks.L2Hit().ConfigureAwait(false) != GRump.Gateway.Caching.CacheLayer.L2)
                {
                    throw new InvalidOperationException("Expected an L2 hit.");
                }
                ticks[i] = Stopwatch.GetTimestamp() - start;
            }
            Array.Sort(ticks);
            string At(double q) => (ticks[Math.Min(ticks.Length - 1, (int)(q * ticks.Length))] * 1e6 / Stopwatch.Frequency).ToString("0.0", CultureInfo.InvariantCulture);
            Console.WriteLine($"L2 hit over loopback Redis, {calls} sequential calls: p50 {At(0.5)} µs, p90 {At(0.9)} µs, p99 {At(0.99)} µs, p99.9 {At(0.999)} µs, max {At(1)} µs");
            return 0;
        }
        finally
        {
            benchmarks.Cleanup();
        }
    }
}

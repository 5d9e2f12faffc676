using System.Diagnostics.Metrics;
using BenchmarkDotNet.Attributes;
using GRump.Gateway.Caching;
using GRump.Gateway.Chat;
using GRump.Gateway.Caching.Internal;
using GRump.Gateway.Diagnostics;
using GRump.Gateway.Providers;
using Microsoft.Extensions.Logging.Abstractions;

namespace GRump.Benchmarks.Caching;

/// <summary>
/// The tiered cache's hot paths: an L1 hit (target ≤ 1 µs, 0 B), an L2 hit over loopback Redis (set
/// GRUMP_BENCH_REDIS=127.0.0.1:port; skipped without it), and computing the key of a typical chat request. Run:
/// <c>dotnet run -c Release -- --filter '*TieredCache*' --job short</c>.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
#pragma warning disable CA1001 // BenchmarkDotNet owns the lifetime: [GlobalCleanup] disposes the caches.
public class TieredCacheBenchmarks
#pragma warning restore CA1001
{
    private static readonly ProviderChatRequest Chat = new("moonshotai/kimi-k2.5", new ChatRequest
    {
        Messages =
        [
            ChatMessage.FromText(ChatRole.System, "You are a concise senior engineer. Answer with code when it helps, and explain trade-offs briefly."),
            ChatMessage.FromText(ChatRole.User, "Write a C# function that parses an ISO-8601 duration like PT1H30M into a TimeSpan, with tests. " +
                "Handle days, hours, minutes and fractional seconds, reject malformed input with a clear message, and keep it allocation-free."),
        ],
        Temperature = 0f,
    }, MaxOutputTokens: 1024, Stream: false);

    private readonly BenchMeterFactory _meters = new();
    private TieredCache _l1 = null!;
    private TieredCache? _l2;
    private RedisConnection? _redis;
    private CacheKey _key;

    [GlobalSetup]
    public void Setup()
    {
        _key = CacheKeys.ForChat("default", "nim", Chat);
        var value = new CachedCompletion { Model = Chat.Model, Provider = "nim", FinishReason = "stop", CostUsd = 0.0012, Deltas = [new TextDelta("Here is "), new TextDelta("the function"), new TextDelta("…")] }.Serialize();
        _l1 = new TieredCache(new CacheOptions { L3Enabled = false }, null, null, TimeProvider.System, new CacheMetrics(_meters), NullLogger.Instance);
        _l1.SetAsync(CacheNamespace.Chat, _key, value, 0.0012, CacheAccess.On, default).AsTask().GetAwaiter().GetResult();

        var redis = Environment.GetEnvironmentVariable("GRUMP_BENCH_REDIS");
        if (!string.IsNullOrEmpty(redis))
        {
            // L1 too small to hold anything: every lookup goes to Redis.
            _l2 = new TieredCache(new CacheOptions { L3Enabled = false, L1MaxBytes = 1, RedisKeyPrefix = "grump:bench:" }, _redis = new RedisConnection(redis), null, TimeProvider.System, new CacheMetrics(_meters), NullLogger.Instance);
            _l2.SetAsync(CacheNamespace.Chat, _key, value, 0.0012, CacheAccess.On, default).AsTask().GetAwaiter().GetResult();
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _l2?.ClearAsync(null, default).AsTask().GetAwaiter().GetResult();
        _l2?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _redis?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _l1.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _meters.Dispose();
    }

    [Benchmark(Description = "L1 hit (GetAsync, completes synchronously)")]
    public CacheLayer L1Hit()
    {
        var lookup = _l1.GetAsync(CacheNamespace.Chat, _key, CacheAccess.On, default);
        if (!lookup.IsCompletedSuccessfully)
        {
            throw new InvalidOperationException("An L1 hit must complete synchronously.");
        }

        return lookup.Result.Layer;
    }

    [Benchmark(Description = "L2 hit, loopback Redis (GRUMP_BENCH_REDIS)")]
    public async Task<CacheLayer> L2Hit()
    {
        if (_l2 is null)
        {
            return CacheLayer.Miss;
        }

        return (await _l2.GetAsync(CacheNamespace.Chat, _key, CacheAccess.On, default)).Layer;
    }

    [Benchmark(Description = "CacheKeys.ForChat, 2 messages ~330 chars")]
    public CacheKey ChatKey() => CacheKeys.ForChat("default", "nim", Chat);

    private sealed class BenchMeterFactory : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options.Name, options.Version, options.Tags, scope: this);
            _meters.Add(meter);
            return meter;
        }

        public void Dispose()
        {
            foreach (var meter in _meters)
            {
                meter.Dispose();
            }
        }
    }
}

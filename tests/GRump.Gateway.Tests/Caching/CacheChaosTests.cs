using System.Text;
using GRump.Gateway.Caching;
using GRump.Gateway.Tests.Infrastructure;

namespace GRump.Gateway.Tests.Caching;

/// <summary>Redis dies in the middle of a run and comes back: no operation fails, and L2 is used again afterwards.</summary>
public sealed class CacheChaosTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Operations_RedisKilledMidRun_NeverFailThenUseL2AgainWhenItReturns()
    {
        // Arrange: a Redis of this test's own, so it can be killed.
        await using var server = await RedisServer.StartAsync(Ct);
        await using var harness = new CacheHarness(server.Configuration);
        var cache = harness.Create();
        await cache.StartAsync(Ct);
        var value = Encoding.UTF8.GetBytes("answer");
        var before = Keys("before", 10);
        foreach (var key in before)
        {
            await cache.SetAsync(CacheNamespace.Chat, key, value, 0.01, CacheAccess.On, Ct).AsTask().DefaultTimeout();
        }

        cache.L3!.Flush(); // on disk before Redis goes
        Assert.True(cache.L2!.IsConnected);

        // Act 1: Redis crashes; the cache keeps working.
        await server.KillAsync();
        await cache.L2.WaitForConnectionAsync(connected: false, Ct).DefaultTimeout();
        var failed = 0;
        var during = Keys("during", 20);
        for (var i = 0; i < during.Length; i++)
        {
            try
            {
                await cache.SetAsync(CacheNamespace.Chat, during[i], value, 0, CacheAccess.On, Ct).AsTask().DefaultTimeout();
                var l1 = await cache.GetAsync(CacheNamespace.Chat, before[i % before.Length], CacheAccess.On, Ct).AsTask().DefaultTimeout();
                var created = await cache.GetOrCreateAsync(CacheNamespace.Plans, during[i], value, (v, _) => ValueTask.FromResult(new CacheFill(v, 0)), CacheAccess.On, Ct).AsTask().DefaultTimeout();
                failed += l1.Layer == CacheLayer.L1 && created.Entry is not null ? 0 : 1;
            }
            catch (Exception)
            {
                failed++;
            }
        }

        // L1 gone (its TTL passed): the disk still serves, with L2 skipped.
        harness.Time.Advance(TimeSpan.FromMinutes(6));
        var fromDisk = await cache.GetAsync(CacheNamespace.Chat, before[0], CacheAccess.On, Ct).AsTask().DefaultTimeout();
        var duringOutage = cache.GetStats().Tiers.Single(t => t.Layer == CacheLayer.L2);

        // Act 2: Redis is back (empty: it had no persistence); after the break the circuit probes and closes.
        await server.StartAgainAsync(Ct);
        await cache.L2.WaitForConnectionAsync(connected: true, Ct).DefaultTimeout();
        harness.Time.Advance(TimeSpan.FromSeconds(16));
        var after = Keys("after", 1)[0];
        await cache.SetAsync(CacheNamespace.Chat, after, value, 0, CacheAccess.On, Ct).AsTask().DefaultTimeout();

        // Assert
        Assert.Equal(0, failed);
        Assert.Equal(CacheLayer.L3, fromDisk.Layer);
        Assert.True(duringOutage.CircuitOpen, "the L2 circuit opened");
        Assert.True(duringOutage.Faults >= 4, $"faults: {duringOutage.Faults}");
        var db = await harness.RedisDatabaseAsync().DefaultTimeout();
        Assert.True(await db.KeyExistsAsync(harness.Prefix + "chat:" + after.ToHex()).DefaultTimeout(), "L2 is written again");
        Assert.False(cache.GetStats().Tiers.Single(t => t.Layer == CacheLayer.L2).CircuitOpen);
        Assert.Single(harness.Logs.Entries, e => e.Message.Contains("Cache tier L2 failed", StringComparison.Ordinal));
    }

    private static CacheKey[] Keys(string prefix, int count) =>
        [.. Enumerable.Range(0, count).Select(i => CacheKeys.ForText(CacheNamespace.Chat, prefix, i.ToString(System.Globalization.CultureInfo.InvariantCulture)))];
}

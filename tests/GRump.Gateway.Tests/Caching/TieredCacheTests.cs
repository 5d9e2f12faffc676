using System.Text;
using GRump.Gateway.Caching;
using GRump.Gateway.Caching.Internal;
using GRump.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace GRump.Gateway.Tests.Caching;

/// <summary>The three tiers against a real Redis and a real folder, with a fake clock.</summary>
public sealed class TieredCacheTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    private static readonly CacheKey Key = CacheKeys.ForText(CacheNamespace.Chat, "a key");
    private static readonly byte[] Value = Encoding.UTF8.GetBytes("an answer");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Get_AfterSet_HitsL1WithTheStoredEntryAndCost()
    {
        // Arrange
        await using var harness = new CacheHarness(redis.Require());
        var cache = harness.Create();
        await cache.SetAsync(CacheNamespace.Chat, Key, Value, 0.25, CacheAccess.On, Ct).AsTask().DefaultTimeout();

        // Act
        var found = await cache.GetAsync(CacheNamespace.Chat, Key, CacheAccess.On, Ct).AsTask().DefaultTimeout();

        // Assert
        Assert.Equal(CacheLayer.L1, found.Layer);
        Assert.Equal(Value, found.Entry!.Value.ToArray());
        Assert.Equal(0.25, found.Entry.CostUsd);
        Assert.Equal(0.25, cache.GetStats().SavingsUsd);
    }

    [Fact]
    public async Task Get_L1Expired_PromotesFromL2ToL1()
    {
        // Arrange
        await using var harness = new CacheHarness(redis.Require());
        var cache = harness.Create();
        await cache.SetAsync(CacheNamespace.Chat, Key, Value, 0, CacheAccess.On, Ct).AsTask().DefaultTimeout();
        harness.Time.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));

        // Act
        var first = await cache.GetAsync(CacheNamespace.Chat, Key, CacheAccess.On, Ct).AsTask().DefaultTimeout();
        var second = await cache.GetAsync(CacheNamespace.Chat, Key, CacheAccess.On, Ct).AsTask().DefaultTimeout();

        // Assert
        Assert.Equal(CacheLayer.L2, first.Layer);
        Assert.Equal(CacheLayer.L1, second.Layer);
        Assert.Equal(Value, second.Entry!.Value.ToArray());
    }

    [Fact]
    public async Task Get_OnlyOnDisk_PromotesL3ToL2AndL1()
    {
        // Arrange: written by one instance, then gone from Redis; a new instance has an empty L1.
        await using var harness = new CacheHarness(redis.Require());
        await harness.Create().SetAsync(CacheNamespace.Chat, Key, Value, 0, CacheAccess.On, Ct).AsTask().DefaultTimeout();
        var db = await harness.RedisDatabaseAsync().DefaultTimeout();
        var redisKey = harness.Prefix + "chat:" + Key.ToHex();
        Assert.True(await db.KeyDeleteAsync(redisKey).DefaultTimeout());
        var cache = harness.Create();

        // Act
        var first = await cache.GetAsync(CacheNamespace.Chat, Key, CacheAccess.On, Ct).AsTask().DefaultTimeout();
        var second = await cache.GetAsync(CacheNamespace.Chat, Key, CacheAccess.On, Ct).AsTask().DefaultTimeout();

        // Assert
        Assert.Equal(CacheLayer.L3, first.Layer);
        Assert.Equal(CacheLayer.L1, second.Layer);
        Assert.True(await db.KeyExistsAsync(redisKey).DefaultTimeout(), "the L3 hit was promoted into L2");
        var onlyL2 = harness.Create(o => o.L3Enabled = false);
        Assert.Equal(CacheLayer.L2, (await onlyL2.GetAsync(CacheNamespace.Chat, Key, CacheAccess.On, Ct).AsTask().DefaultTimeout()).Layer);
    }

    [Fact]
    public async Task Get_EachTierExpires_AtItsOwnTtl()
    {
        // Arrange: L1 5 min, L2 1 h, L3 24 h (the defaults).
        await using var harness = new CacheHarness(redis.Require());
        var cache = harness.Create();
        await cache.SetAsync(CacheNamespace.Chat, Key, Value, 0, CacheAccess.On, Ct).AsTask().DefaultTimeout();

        // Act + Assert
        harness.Time.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal(CacheLayer.L1, (await cache.GetAsync(CacheNamespace.Chat, Key, CacheAccess.On, Ct).AsTask().DefaultTimeout()).Layer);

        // Promotion keeps the lower tier's end: at 59 min the L1 copy from L2 lives until 64 min at most, L2 until 60.
        harness.Time.Advance(TimeSpan.FromMinutes(55));
        Assert.Equal(CacheLayer.L2, (await cache.GetAsync(CacheNamespace.Chat, Key, CacheAccess.On, Ct).AsTask().DefaultTimeout()).Layer);
        harness.Time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(CacheLayer.L3, (await cache.GetAsync(CacheNamespace.Chat, Key, CacheAccess.On, Ct).AsTask().DefaultTimeout()).Layer);

        harness.Time.Advance(TimeSpan.FromHours(23));
        var expired = await cache.GetAsync(CacheNamespace.Chat, Key, CacheAccess.On, Ct).AsTask().DefaultTimeout();
        Assert.Equal(CacheLayer.Miss, expired.Layer);
        Assert.Null(expired.Entry);
        Assert.False(File.Exists(cache.L3!.PathOf(CacheNamespace.Chat, Key)), "an expired file read is deleted");
    }

    [Theory]
    [InlineData(1023, false)]
    [InlineData(1024, true)]
    public async Task Set_CompressionThreshold_CompressesOnlyAtOrAboveIt(int size, bool compressed)
    {
        // Arrange
        await using var harness = new CacheHarness(redis.Require());
        var cache = harness.Create(o => o.L3Enabled = false);
        var value = Encoding.UTF8.GetBytes(new string('x', size));

        // Act
        await cache.SetAsync(CacheNamespace.Chat, Key, value, 0, CacheAccess.On, Ct).AsTask().DefaultTimeout();
        var db = await harness.RedisDatabaseAsync().DefaultTimeout();
        var stored = (byte[]?)await db.StringGetAsync(harness.Prefix + "chat:" + Key.ToHex()).DefaultTimeout();
        var reader = harness.Create(o => o.L3Enabled = false);
        var read = await reader.GetAsync(CacheNamespace.Chat, Key, CacheAccess.On, Ct).AsTask().DefaultTimeout();

        // Assert
        Assert.NotNull(stored);
        Assert.Equal(compressed, EntryCodec.IsCompressed(stored));
        Assert.Equal(compressed, stored.Length < size);
        Assert.Equal(CacheLayer.L2, read.Layer);
        Assert.Equal(value, read.Entry!.Value.ToArray());
    }

    [Fact]
    public async Task Get_AfterRestart_ServesTheDiskEntry()
    {
        // Arrange: no Redis, so only the disk can remember.
        await using var harness = new CacheHarness(null);
        var before = harness.Create();
        await before.SetAsync(CacheNamespace.Embeddings, Key, Value, 0.5, CacheAccess.On, Ct).AsTask().DefaultTimeout();
        await before.DisposeAsync();

        // Act
        var after = harness.Create();
        var found = await after.GetAsync(CacheNamespace.Embeddings, Key, CacheAccess.On, Ct).AsTask().DefaultTimeout();

        // Assert
        Assert.Equal(CacheLayer.L3, found.Layer);
        Assert.Equal(Value, found.Entry!.Value.ToArray());
        Assert.Equal(0.5, found.Entry.CostUsd);
    }

    [Fact]
    public async Task Get_TornOrForeignFile_IsAMissAndIsDeleted()
    {
        // Arrange
        await using var harness = new CacheHarness(null);
        var cache = harness.Create();
        await cache.SetAsync(CacheNamespace.Chat, Key, Value, 0, CacheAccess.On, Ct).AsTask().DefaultTimeout();
        var path = cache.L3!.PathOf(CacheNamespace.Chat, Key);
        var bytes = await File.ReadAllBytesAsync(path, Ct);
        await File.WriteAllBytesAsync(path, bytes[..^3], Ct);

        // Act
        var found = await harness.Create().GetAsync(CacheNamespace.Chat, Key, CacheAccess.On, Ct).AsTask().DefaultTimeout();

        // Assert
        Assert.Equal(CacheLayer.Miss, found.Layer);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public async Task GetOrCreate_HundredConcurrentMisses_RunTheFactoryOnce()
    {
        // Arrange
        await using var harness = new CacheHarness(redis.Require());
        var cache = harness.Create();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = 0;

        // Act
        var lookups = Enumerable.Range(0, 100).Select(_ => cache.GetOrCreateAsync(
            CacheNamespace.Chat,
            Key,
            gate,
            async (g, ct) =>
            {
                Interlocked.Increment(ref calls);
                await g.Task.WaitAsync(ct);
                return new CacheFill(Value, 0.1);
            },
            CacheAccess.On,
            Ct).AsTask()).ToList();
        gate.SetResult();
        var results = await Task.WhenAll(lookups).DefaultTimeout();
        var later = await cache.GetAsync(CacheNamespace.Chat, Key, CacheAccess.On, Ct).AsTask().DefaultTimeout();

        // Assert
        Assert.Equal(1, calls);
        Assert.All(results, r => Assert.Equal(Value, r.Entry!.Value.ToArray()));
        Assert.Equal(CacheLayer.L1, later.Layer);
    }

    [Fact]
    public async Task GetOrCreate_FactoryFails_EveryWaiterSeesItAndNothingIsCached()
    {
        // Arrange
        await using var harness = new CacheHarness(null);
        var cache = harness.Create();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = 0;
        Func<TaskCompletionSource, CancellationToken, ValueTask<CacheFill>> failing = async (g, ct) =>
        {
            Interlocked.Increment(ref calls);
            await g.Task.WaitAsync(ct);
            throw new InvalidOperationException("upstream down");
        };

        // Act
        var waiters = Enumerable.Range(0, 10).Select(_ => cache.GetOrCreateAsync(CacheNamespace.Chat, Key, gate, failing, CacheAccess.On, Ct).AsTask()).ToList();
        gate.SetResult();

        // Assert
        foreach (var waiter in waiters)
        {
            await Assert.ThrowsAsync<InvalidOperationException>(() => waiter).DefaultTimeout();
        }

        Assert.Equal(1, calls);
        var retry = await cache.GetOrCreateAsync(CacheNamespace.Chat, Key, 0, (_, _) => ValueTask.FromResult(new CacheFill(Value, 0)), CacheAccess.On, Ct).AsTask().DefaultTimeout();
        Assert.Equal(CacheLayer.Miss, retry.Layer);
        Assert.Equal(Value, retry.Entry!.Value.ToArray());
    }

    [Fact]
    public async Task GetOrCreate_OneWaiterCancels_TheOthersStillGetTheResult()
    {
        // Arrange
        await using var harness = new CacheHarness(null);
        var cache = harness.Create();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var leaving = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        Func<TaskCompletionSource, CancellationToken, ValueTask<CacheFill>> factory = async (g, ct) =>
        {
            await g.Task.WaitAsync(ct);
            return new CacheFill(Value, 0);
        };
        var first = cache.GetOrCreateAsync(CacheNamespace.Chat, Key, gate, factory, CacheAccess.On, leaving.Token).AsTask();
        var second = cache.GetOrCreateAsync(CacheNamespace.Chat, Key, gate, factory, CacheAccess.On, Ct).AsTask();

        // Act
        await leaving.CancelAsync();
        gate.SetResult();

        // Assert
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first).DefaultTimeout();
        Assert.Equal(Value, (await second.DefaultTimeout()).Entry!.Value.ToArray());
    }

    [Fact]
    public async Task Modes_OffReadOnlyWriteOnly_ReadAndWriteAsTheySay()
    {
        // Arrange
        await using var harness = new CacheHarness(null);
        var cache = harness.Create();
        var calls = 0;
        Func<int, CancellationToken, ValueTask<CacheFill>> factory = (n, _) =>
        {
            Interlocked.Increment(ref calls);
            return ValueTask.FromResult(new CacheFill(Encoding.UTF8.GetBytes("v" + n), 0));
        };

        // Act + Assert: OFF neither stores nor reads.
        await cache.GetOrCreateAsync(CacheNamespace.Chat, Key, 1, factory, CacheAccess.Off, Ct).AsTask().DefaultTimeout();
        Assert.False((await cache.GetAsync(CacheNamespace.Chat, Key, CacheAccess.On, Ct).AsTask().DefaultTimeout()).IsHit);

        // READ_ONLY serves fresh on a miss and forgets it.
        await cache.GetOrCreateAsync(CacheNamespace.Chat, Key, 2, factory, CacheAccess.ReadOnly, Ct).AsTask().DefaultTimeout();
        Assert.False((await cache.GetAsync(CacheNamespace.Chat, Key, CacheAccess.On, Ct).AsTask().DefaultTimeout()).IsHit);

        // WRITE_ONLY never reads and always stores.
        await cache.SetAsync(CacheNamespace.Chat, Key, Encoding.UTF8.GetBytes("old"), 0, CacheAccess.On, Ct).AsTask().DefaultTimeout();
        var refreshed = await cache.GetOrCreateAsync(CacheNamespace.Chat, Key, 3, factory, CacheAccess.WriteOnly, Ct).AsTask().DefaultTimeout();
        Assert.Equal(CacheLayer.Miss, refreshed.Layer);
        Assert.Equal("v3", Encoding.UTF8.GetString((await cache.GetAsync(CacheNamespace.Chat, Key, CacheAccess.ReadOnly, Ct).AsTask().DefaultTimeout()).Entry!.Value.Span));
        Assert.False((await cache.GetAsync(CacheNamespace.Chat, Key, CacheAccess.WriteOnly, Ct).AsTask().DefaultTimeout()).IsHit);
        await cache.SetAsync(CacheNamespace.Chat, Key, Encoding.UTF8.GetBytes("ignored"), 0, CacheAccess.ReadOnly, Ct).AsTask().DefaultTimeout();
        Assert.Equal("v3", Encoding.UTF8.GetString((await cache.GetAsync(CacheNamespace.Chat, Key, CacheAccess.On, Ct).AsTask().DefaultTimeout()).Entry!.Value.Span));
        Assert.Equal(3, calls);
    }

    [Fact]
    public async Task Clear_All_DeletesOnlyThisCachesRedisKeys()
    {
        // Arrange
        await using var harness = new CacheHarness(redis.Require());
        var cache = harness.Create();
        var db = await harness.RedisDatabaseAsync().DefaultTimeout();
        var foreign = new[] { "foreign:" + Guid.CreateVersion7().ToString("N"), harness.Prefix.TrimEnd(':') + "x:chat:1" };
        foreach (var key in foreign)
        {
            await db.StringSetAsync(key, "keep", TimeSpan.FromMinutes(5)).DefaultTimeout();
        }

        await cache.SetAsync(CacheNamespace.Chat, Key, Value, 0, CacheAccess.On, Ct).AsTask().DefaultTimeout();
        await cache.SetAsync(CacheNamespace.Plans, Key, Value, 0, CacheAccess.On, Ct).AsTask().DefaultTimeout();

        // Act
        var removed = await cache.ClearAsync(null, Ct).AsTask().DefaultTimeout();

        // Assert: 2 in L1, 2 in L2, 2 on disk.
        Assert.Equal(6, removed);
        foreach (var key in foreign)
        {
            Assert.Equal("keep", (string?)await db.StringGetAsync(key).DefaultTimeout());
            await db.KeyDeleteAsync(key).DefaultTimeout();
        }

        Assert.False((await cache.GetAsync(CacheNamespace.Chat, Key, CacheAccess.On, Ct).AsTask().DefaultTimeout()).IsHit);
    }

    [Fact]
    public async Task Clear_OneNamespace_LeavesTheOthers()
    {
        // Arrange
        await using var harness = new CacheHarness(redis.Require());
        var cache = harness.Create();
        await cache.SetAsync(CacheNamespace.Chat, Key, Value, 0, CacheAccess.On, Ct).AsTask().DefaultTimeout();
        await cache.SetAsync(CacheNamespace.Intents, Key, Value, 0, CacheAccess.On, Ct).AsTask().DefaultTimeout();

        // Act
        await cache.ClearAsync(CacheNamespace.Chat, Ct).AsTask().DefaultTimeout();

        // Assert
        Assert.False((await cache.GetAsync(CacheNamespace.Chat, Key, CacheAccess.On, Ct).AsTask().DefaultTimeout()).IsHit);
        Assert.Equal(CacheLayer.L1, (await cache.GetAsync(CacheNamespace.Intents, Key, CacheAccess.On, Ct).AsTask().DefaultTimeout()).Layer);
        var db = await harness.RedisDatabaseAsync().DefaultTimeout();
        Assert.True(await db.KeyExistsAsync(harness.Prefix + "intents:" + Key.ToHex()).DefaultTimeout());
    }

    [Fact]
    public async Task Remove_OnOneReplica_InvalidatesTheOthersL1()
    {
        // Arrange: two replicas on one Redis, each with its own disk; B holds the entry in L1 via L2.
        await using var harness = new CacheHarness(redis.Require());
        var a = harness.Create();
        var b = harness.Create(l3Path: Directory.CreateTempSubdirectory("grump-cache-b-").FullName);
        await a.StartAsync(Ct);
        await b.StartAsync(Ct);
        await Task.WhenAll(a.L2!.WaitForConnectionAsync(connected: true, Ct), b.L2!.WaitForConnectionAsync(connected: true, Ct)).DefaultTimeout();
        await a.SetAsync(CacheNamespace.Chat, Key, Value, 0, CacheAccess.On, Ct).AsTask().DefaultTimeout();
        Assert.Equal(CacheLayer.L2, (await b.GetAsync(CacheNamespace.Chat, Key, CacheAccess.On, Ct).AsTask().DefaultTimeout()).Layer);
        Assert.Equal(CacheLayer.L1, (await b.GetAsync(CacheNamespace.Chat, Key, CacheAccess.On, Ct).AsTask().DefaultTimeout()).Layer);

        // Act
        await a.RemoveAsync(CacheNamespace.Chat, Key, Ct).AsTask().DefaultTimeout();

        // Assert: the message arrives over a real connection; B logs once it has applied it.
        await harness.Logs.WaitForAsync(e => e.Message.Contains(Key.ToHex(), StringComparison.Ordinal), Ct);
        Assert.False((await b.GetAsync(CacheNamespace.Chat, Key, CacheAccess.On, Ct).AsTask().DefaultTimeout()).IsHit);
    }

    [Fact]
    public async Task OnInvalidation_OwnMessage_IsIgnored()
    {
        // Arrange
        await using var harness = new CacheHarness(null);
        var cache = harness.Create();
        await cache.SetAsync(CacheNamespace.Chat, Key, Value, 0, CacheAccess.On, Ct).AsTask().DefaultTimeout();

        // Act
        cache.OnInvalidation($"{cache.InstanceId}|c|*|");
        var own = await cache.GetAsync(CacheNamespace.Chat, Key, CacheAccess.On, Ct).AsTask().DefaultTimeout();
        cache.OnInvalidation($"other|r|chat|{Key.ToHex()}");
        var foreign = await cache.GetAsync(CacheNamespace.Chat, Key, CacheAccess.On, Ct).AsTask().DefaultTimeout();

        // Assert
        Assert.Equal(CacheLayer.L1, own.Layer);
        Assert.False(foreign.IsHit);
    }

    [Fact]
    public async Task Operations_UnwritableDiskFolder_StillSucceedAndCountFaults()
    {
        // Arrange: the L3 folder's path is a file, so no directory can be made there.
        await using var harness = new CacheHarness(null);
        var blocked = Path.Combine(harness.L3Path, "blocked");
        await File.WriteAllTextAsync(blocked, "not a folder", Ct);
        var cache = harness.Create(l3Path: blocked);

        // Act
        for (var i = 0; i < 10; i++)
        {
            await cache.SetAsync(CacheNamespace.Chat, CacheKeys.ForText(CacheNamespace.Chat, i.ToString(System.Globalization.CultureInfo.InvariantCulture)), Value, 0, CacheAccess.On, Ct).AsTask().DefaultTimeout();
        }

        var created = await cache.GetOrCreateAsync(CacheNamespace.Chat, Key, 0, (_, _) => ValueTask.FromResult(new CacheFill(Value, 0)), CacheAccess.On, Ct).AsTask().DefaultTimeout();
        var found = await cache.GetAsync(CacheNamespace.Chat, Key, CacheAccess.On, Ct).AsTask().DefaultTimeout();

        // Assert
        Assert.Equal(Value, created.Entry!.Value.ToArray());
        Assert.Equal(CacheLayer.L1, found.Layer);
        var l3 = cache.GetStats().Tiers.Single(t => t.Layer == CacheLayer.L3);
        Assert.True(l3.Faults >= 4, $"faults: {l3.Faults}");
        Assert.True(l3.CircuitOpen);
        Assert.Single(harness.Logs.Entries, e => e.Message.Contains("Cache tier L3 failed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Cleanup_OnTimer_DeletesExpiredFiles()
    {
        // Arrange
        await using var harness = new CacheHarness(null);
        var cache = harness.Create(o => o.L3CleanupInterval = TimeSpan.FromMinutes(10));
        await cache.StartAsync(Ct);
        await cache.SetAsync(CacheNamespace.Chat, Key, Value, 0, CacheAccess.On, Ct).AsTask().DefaultTimeout();
        var path = cache.L3!.PathOf(CacheNamespace.Chat, Key);
        Assert.True(File.Exists(path));

        // Act: the timer fires on the fake clock, inside Advance.
        harness.Time.Advance(TimeSpan.FromHours(24) + TimeSpan.FromMinutes(10));

        // Assert
        Assert.False(File.Exists(path));
        Assert.Equal(0, cache.L3.Bytes);
    }

    [Fact]
    public async Task Set_OverDiskCap_DeletesTheOldestFiles()
    {
        // Arrange
        await using var harness = new CacheHarness(null);
        var cache = harness.Create(o => o.L3MaxBytes = 4096);
        var keys = Enumerable.Range(0, 6).Select(i => CacheKeys.ForText(CacheNamespace.Chat, i.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToArray();
        var value = new byte[600];
        for (var i = 0; i < keys.Length; i++)
        {
            await cache.SetAsync(CacheNamespace.Chat, keys[i], value, 0, CacheAccess.On, Ct).AsTask().DefaultTimeout();
            // File times are coarse (kernel ticks): give each file a distinct age explicitly.
            File.SetLastWriteTimeUtc(cache.L3!.PathOf(CacheNamespace.Chat, keys[i]), new DateTime(2020, 1, 1, 0, i, 0, DateTimeKind.Utc));
        }

        // Act
        var newest = CacheKeys.ForText(CacheNamespace.Chat, "newest");
        await cache.SetAsync(CacheNamespace.Chat, newest, value, 0, CacheAccess.On, Ct).AsTask().DefaultTimeout();

        // Assert
        Assert.True(cache.L3!.Bytes <= 4096, $"bytes: {cache.L3.Bytes}");
        Assert.False(File.Exists(cache.L3.PathOf(CacheNamespace.Chat, keys[0])));
        Assert.True(File.Exists(cache.L3.PathOf(CacheNamespace.Chat, newest)));
    }

    [Fact]
    public async Task Metrics_HitsMissesAndSavings_CarryLayerAndNamespace()
    {
        // Arrange
        await using var harness = new CacheHarness(null);
        var cache = harness.Create();
        using var hits = new MetricCollector<long>(harness.Meters, "GRump.Gateway", "tiered_cache_hits_total");
        using var misses = new MetricCollector<long>(harness.Meters, "GRump.Gateway", "tiered_cache_misses_total");
        using var savings = new MetricCollector<double>(harness.Meters, "GRump.Gateway", "cache_savings_usd_total");
        using var size = new MetricCollector<long>(harness.Meters, "GRump.Gateway", "tiered_cache_size_bytes");

        // Act
        await cache.GetAsync(CacheNamespace.Embeddings, Key, CacheAccess.On, Ct).AsTask().DefaultTimeout();
        await cache.SetAsync(CacheNamespace.Embeddings, Key, Value, 0.002, CacheAccess.On, Ct).AsTask().DefaultTimeout();
        await cache.GetAsync(CacheNamespace.Embeddings, Key, CacheAccess.On, Ct).AsTask().DefaultTimeout();
        size.RecordObservableInstruments();

        // Assert
        var hit = Assert.Single(hits.GetMeasurementSnapshot());
        Assert.Equal("L1", hit.Tags["layer"]);
        Assert.Equal("embeddings", hit.Tags["namespace"]);
        Assert.Equal(["L1", "L3"], misses.GetMeasurementSnapshot().Select(m => (string)m.Tags["layer"]!).ToArray());
        Assert.Equal(0.002, Assert.Single(savings.GetMeasurementSnapshot()).Value);
        Assert.Contains(size.GetMeasurementSnapshot(), m => (string)m.Tags["layer"]! == "L3" && m.Value > Value.Length);
        var ns = cache.GetStats().Namespaces.Single(n => n.Namespace == CacheNamespace.Embeddings);
        Assert.Equal(0.5, ns.HitRate);
    }
}

using System.Text;
using GRump.Gateway.Caching;
using GRump.Gateway.Caching.Internal;
using GRump.Gateway.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
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
        var writer = harness.Create();
        await writer.SetAsync(CacheNamespace.Chat, Key, Value, 0, CacheAccess.On, Ct).AsTask().DefaultTimeout();
        writer.L3!.Flush();
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
        cache.L3!.Flush();

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
        Assert.False(cache.L3!.Contains(CacheNamespace.Chat, Key), "an expired entry read is deleted");
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

    [Theory]
    // The payload zeroed: its checksum no longer matches.
    [InlineData("UPDATE entries SET value = zeroblob(length(value))")]
    // Text where the tier writes a blob, with the checksum of its (empty) bytes: not a value this tier wrote.
    [InlineData("UPDATE entries SET value = '', crc = 0")]
    public async Task Get_DamagedEntry_IsAMissAndIsDeleted(string damage)
    {
        // Arrange: damage the stored row behind the cache's back.
        await using var harness = new CacheHarness(null);
        var cache = harness.Create();
        await cache.SetAsync(CacheNamespace.Chat, Key, Value, 0, CacheAccess.On, Ct).AsTask().DefaultTimeout();
        cache.L3!.Flush();
        Assert.Equal(1, await BehindTheCachesBackAsync(cache.L3, damage));

        // Act: a second instance on the same folder, so L1 cannot answer.
        var reader = harness.Create();
        var found = await reader.GetAsync(CacheNamespace.Chat, Key, CacheAccess.On, Ct).AsTask().DefaultTimeout();

        // Assert
        Assert.Equal(CacheLayer.Miss, found.Layer);
        Assert.False(reader.L3!.Contains(CacheNamespace.Chat, Key));
    }

    [Fact]
    public async Task Set_ForeignDatabaseFileAndLegacyFiles_AreReplaced()
    {
        // Arrange: garbage where the database goes, and an entry file of the one-file-per-entry layout.
        await using var harness = new CacheHarness(null);
        await File.WriteAllBytesAsync(Path.Combine(harness.L3Path, DiskTier.FileName), Encoding.UTF8.GetBytes(new string('x', 8192)), Ct);
        var legacy = Directory.CreateDirectory(Path.Combine(harness.L3Path, "chat")).FullName;
        await File.WriteAllBytesAsync(Path.Combine(legacy, Key.ToHex() + ".bin"), Value, Ct);
        var cache = harness.Create();

        // Act
        await cache.SetAsync(CacheNamespace.Chat, Key, Value, 0, CacheAccess.On, Ct).AsTask().DefaultTimeout();
        cache.L3!.Flush();
        var found = await harness.Create().GetAsync(CacheNamespace.Chat, Key, CacheAccess.On, Ct).AsTask().DefaultTimeout();

        // Assert: the store works, no fault was counted, and the old layout goes (in the background).
        Assert.Equal(CacheLayer.L3, found.Layer);
        Assert.Equal(0, cache.GetStats().Tiers.Single(t => t.Layer == CacheLayer.L3).Faults);
        await cache.L3.LegacyFilesDeleted.DefaultTimeout();
        Assert.False(Directory.Exists(legacy));
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
    public async Task Cleanup_OnTimer_DeletesExpiredEntriesAndGivesTheSpaceBack()
    {
        // Arrange: 200 entries of 4 KiB, so the database grows well past its empty size.
        await using var harness = new CacheHarness(null);
        var cache = harness.Create(o => o.L3CleanupInterval = TimeSpan.FromMinutes(10));
        await cache.StartAsync(Ct);
        var value = new byte[4096];
        for (var i = 0; i < 200; i++)
        {
            await cache.SetAsync(CacheNamespace.Chat, CacheKeys.ForText(CacheNamespace.Chat, $"k{i}"), value, 0, CacheAccess.On, Ct).AsTask().DefaultTimeout();
        }

        cache.L3!.Flush();
        var full = cache.L3.Bytes;
        Assert.True(cache.L3.Contains(CacheNamespace.Chat, CacheKeys.ForText(CacheNamespace.Chat, "k0")));

        // Act: the timer fires on the fake clock, inside Advance.
        harness.Time.Advance(TimeSpan.FromHours(24) + TimeSpan.FromMinutes(10));

        // Assert
        Assert.False(cache.L3.Contains(CacheNamespace.Chat, CacheKeys.ForText(CacheNamespace.Chat, "k0")));
        Assert.True(cache.L3.Bytes < full / 2, $"bytes before {full}, after {cache.L3.Bytes}");
    }

    [Fact]
    public async Task Set_PastTheDiskCap_HoldsTheCapOnEveryWriteAndEvictsTheOldest()
    {
        // Arrange: a 1 MiB cap (the smallest) and 3 MiB of entries of 2 KiB each, each committed before the next.
        const long cap = 1024 * 1024;
        await using var harness = new CacheHarness(null);
        var cache = harness.Create(o => o.L3MaxBytes = cap);
        var value = new byte[2048];
        var keys = Enumerable.Range(0, 1536).Select(i => CacheKeys.ForText(CacheNamespace.Chat, $"entry {i}")).ToArray();
        long largest = 0;

        // Act
        foreach (var key in keys)
        {
            Random.Shared.NextBytes(value);
            await cache.SetAsync(CacheNamespace.Chat, key, value.ToArray(), 0, CacheAccess.On, Ct).AsTask().DefaultTimeout();
            cache.L3!.Flush();
            largest = Math.Max(largest, OnDisk(cache.L3));
        }

        // Assert: measured on disk after every write (database + WAL + WAL index), never past the cap by more than one
        // entry; the oldest entries went, the newest are there, and nothing counted as a fault.
        Assert.True(largest <= cap + value.Length, $"largest on disk: {largest} bytes, cap {cap}");
        Assert.Equal(OnDisk(cache.L3!), cache.L3!.Bytes);
        Assert.False(cache.L3.Contains(CacheNamespace.Chat, keys[0]));
        Assert.True(cache.L3.Contains(CacheNamespace.Chat, keys[^1]));
        Assert.True(cache.L3.Contains(CacheNamespace.Chat, keys[^100]));
        Assert.Equal(0, cache.GetStats().Tiers.Single(t => t.Layer == CacheLayer.L3).Faults);
    }

    [Fact]
    public async Task Set_PastTheDiskCap_ManySmallEntriesWithReaders_HoldsTheCapWithTheWal()
    {
        // Arrange: small entries, so the (random-order) key index is most of the pages and evicting the oldest rows
        // dirties index pages all over the file: every one of them is a WAL frame. Bursts of 64 concurrent writes make
        // group commits (the write-behind queue's), each write with a read of L3 as a gateway's misses do (a checkpoint
        // must wait for readers), and a sampler thread watches the files during the writes. The soak found the WAL
        // passing the cap this way.
        const long cap = 1024 * 1024;
        await using var harness = new CacheHarness(null);
        var cache = harness.Create(o => o.L3MaxBytes = cap);
        using var dropped = new MetricCollector<long>(harness.Meters, "GRump.Gateway", "tiered_cache_writes_dropped_total");
        var l3 = cache.L3!;
        var value = new byte[100];
        using var stop = new CancellationTokenSource();
        long largest = 0;
        var peak = "";
        // Own threads, not the pool's: these loops never yield, and the writes' continuations need the pool.
        var sampler = Task.Factory.StartNew(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                var now = OnDisk(l3);
                if (now > largest)
                {
                    largest = now;
                    peak = string.Join(' ', DatabaseFileSuffixes.Select(x => new FileInfo(l3.DatabasePath + x)).Select(f => f.Exists ? f.Length : 0));
                }
            }
        }, Ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        // Act
        for (var burst = 0; burst < 200; burst++)
        {
            // Each write goes with a read, as a gateway's misses do; a checkpoint has to wait for the readers. A commit
            // of what is queued so far runs among them (besides the write-behind's own), so the queue never fills.
            var burstIndex = burst;
            await Task.WhenAll(Enumerable.Range(0, 64).Select(i => Task.Run(async () =>
            {
                _ = l3.Get(CacheNamespace.Chat, CacheKeys.ForText(CacheNamespace.Chat, $"entry {burstIndex - 1}-{i}"));
                await cache.SetAsync(CacheNamespace.Chat, CacheKeys.ForText(CacheNamespace.Chat, $"entry {burstIndex}-{i}"), value, 0, CacheAccess.On, Ct);
            }, Ct)).Append(Task.Run(l3.Flush, Ct))).DefaultTimeout();
        }
        l3.Flush();
        await stop.CancelAsync();
        await sampler.DefaultTimeout();
        largest = Math.Max(largest, OnDisk(l3));

        // Assert
        Assert.True(largest <= cap + value.Length, $"largest on disk: {largest} bytes ({peak}), cap {cap}");
        Assert.True(l3.Contains(CacheNamespace.Chat, CacheKeys.ForText(CacheNamespace.Chat, "entry 199-63")));
        Assert.False(l3.Contains(CacheNamespace.Chat, CacheKeys.ForText(CacheNamespace.Chat, "entry 0-0")));
        Assert.Empty(dropped.GetMeasurementSnapshot());
        Assert.Equal(0, cache.GetStats().Tiers.Single(t => t.Layer == CacheLayer.L3).Faults);
    }

    [Fact]
    public async Task Set_EntryLargerThanAQuarterOfTheCap_SkipsL3()
    {
        // Arrange
        await using var harness = new CacheHarness(null);
        var cache = harness.Create(o => o.L3MaxBytes = 1024 * 1024);

        // Act
        await cache.SetAsync(CacheNamespace.Chat, Key, new byte[300 * 1024], 0, CacheAccess.On, Ct).AsTask().DefaultTimeout();
        cache.L3!.Flush();

        // Assert
        Assert.False(cache.L3.Contains(CacheNamespace.Chat, Key));
        Assert.Equal(CacheLayer.L1, (await cache.GetAsync(CacheNamespace.Chat, Key, CacheAccess.On, Ct).AsTask().DefaultTimeout()).Layer);
    }

    [Fact]
    public async Task Remove_WhileTheDiskWriteIsQueued_TheEntryDoesNotComeBack()
    {
        // Arrange: the write to disk is still queued behind (committed within milliseconds) when the remove comes.
        await using var harness = new CacheHarness(null);
        var cache = harness.Create();
        await cache.SetAsync(CacheNamespace.Chat, Key, Value, 0, CacheAccess.On, Ct).AsTask().DefaultTimeout();

        // Act
        await cache.RemoveAsync(CacheNamespace.Chat, Key, Ct).AsTask().DefaultTimeout();
        cache.L3!.Flush();

        // Assert: neither this instance nor a fresh one (empty L1) finds it.
        Assert.False(cache.L3.Contains(CacheNamespace.Chat, Key));
        Assert.False((await harness.Create().GetAsync(CacheNamespace.Chat, Key, CacheAccess.On, Ct).AsTask().DefaultTimeout()).IsHit);
    }

    [Fact]
    public async Task Set_DiskWriteFailsBehind_CountsAFaultWarnsOnceAndPausesWritesForTheBreak()
    {
        // Arrange: the table goes behind the cache's back, so commits fail (as on a full disk) while the database opens.
        await using var harness = new CacheHarness(null);
        var cache = harness.Create();
        await cache.SetAsync(CacheNamespace.Chat, Key, Value, 0, CacheAccess.On, Ct).AsTask().DefaultTimeout();
        cache.L3!.Flush();
        await BehindTheCachesBackAsync(cache.L3, "DROP TABLE entries");

        long Faults() => cache.GetStats().Tiers.Single(t => t.Layer == CacheLayer.L3).Faults;
        async Task SetAndFlushAsync(string text)
        {
            await cache.SetAsync(CacheNamespace.Chat, CacheKeys.ForText(CacheNamespace.Chat, text), Value, 0, CacheAccess.On, Ct).AsTask().DefaultTimeout();
            cache.L3!.Flush();
        }

        // Act + Assert: the first failed commit is a fault; the writes after it are not even queued for the break.
        await SetAndFlushAsync("fails");
        Assert.Equal(1, Faults());
        for (var i = 0; i < 5; i++)
        {
            await SetAndFlushAsync($"paused {i}");
        }

        Assert.Equal(1, Faults());
        Assert.Equal(CacheLayer.L1, (await cache.GetAsync(CacheNamespace.Chat, CacheKeys.ForText(CacheNamespace.Chat, "paused 0"), CacheAccess.On, Ct).AsTask().DefaultTimeout()).Layer);

        // After the break it tries again (and fails again): one more fault, still one warning for the outage.
        harness.Time.Advance(TimeSpan.FromSeconds(16));
        await SetAndFlushAsync("after the break");
        Assert.Equal(2, Faults());
        Assert.Single(harness.Logs.Entries, e => e.Message.Contains("Cache tier L3 failed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Set_WhileTheDiskQueueIsFull_SkipsL3AndCountsTheDrop()
    {
        // Arrange: a 4 MiB tier queues at most 256 KiB of rows; commits are held so the queue cannot drain.
        await using var harness = new CacheHarness(null);
        var cache = harness.Create(o => o.L3MaxBytes = 4 * 1024 * 1024);
        using var dropped = new MetricCollector<long>(harness.Meters, "GRump.Gateway", "tiered_cache_writes_dropped_total");
        var l3 = cache.L3!;
        Assert.Equal(256 * 1024, l3.MaxQueuedBytes);
        var first = CacheKeys.ForText(CacheNamespace.Chat, "first");
        var second = CacheKeys.ForText(CacheNamespace.Chat, "second");
        var alone = CacheKeys.ForText(CacheNamespace.Chat, "alone");

        // Act
        using (l3.PauseWrites())
        {
            await cache.SetAsync(CacheNamespace.Chat, first, new byte[200 * 1024], 0, CacheAccess.On, Ct).AsTask().DefaultTimeout();
            await cache.SetAsync(CacheNamespace.Chat, second, new byte[100 * 1024], 0, CacheAccess.On, Ct).AsTask().DefaultTimeout();
        }

        l3.Flush();
        // Larger than the queue's bound, but alone in it: taken.
        await cache.SetAsync(CacheNamespace.Chat, alone, new byte[300 * 1024], 0, CacheAccess.On, Ct).AsTask().DefaultTimeout();
        l3.Flush();

        // Assert: both still answer from memory; on disk only the ones the queue took. A drop is not a fault.
        Assert.Equal("L3", Assert.Single(dropped.GetMeasurementSnapshot()).Tags["layer"]);
        Assert.True(l3.Contains(CacheNamespace.Chat, first));
        Assert.False(l3.Contains(CacheNamespace.Chat, second));
        Assert.True(l3.Contains(CacheNamespace.Chat, alone));
        Assert.Equal(CacheLayer.L1, (await cache.GetAsync(CacheNamespace.Chat, second, CacheAccess.On, Ct).AsTask().DefaultTimeout()).Layer);
        Assert.Equal(0, cache.GetStats().Tiers.Single(t => t.Layer == CacheLayer.L3).Faults);
    }

    private static readonly string[] DatabaseFileSuffixes = ["", "-wal", "-shm"];

    /// <summary>Runs a statement on the L3 database through a connection of its own; returns the rows it changed.</summary>
    private static async Task<int> BehindTheCachesBackAsync(DiskTier tier, string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={tier.DatabasePath};Pooling=False");
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteNonQueryAsync(Ct);
    }

    private static long OnDisk(DiskTier tier) =>
        DatabaseFileSuffixes.Select(suffix => new FileInfo(tier.DatabasePath + suffix)).Where(f => f.Exists).Sum(f => f.Length);

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

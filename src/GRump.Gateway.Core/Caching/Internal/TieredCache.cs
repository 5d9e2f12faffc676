using System.Collections.Concurrent;
using GRump.Gateway.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GRump.Gateway.Caching.Internal;

/// <summary>The <see cref="ITieredCache"/>: L1 memory, optional L2 Redis, optional L3 disk; see the interface.</summary>
internal sealed class TieredCache : ITieredCache, IHostedService, IAsyncDisposable
{
    private readonly CacheOptions _options;
    private readonly TimeProvider _time;
    private readonly CacheMetrics _metrics;
    private readonly ILogger _logger;
    private readonly MemoryTier _l1;
    private readonly RedisTier? _l2;
    private readonly DiskTier? _l3;
    private readonly TierGuard? _l2Guard;
    private readonly TierGuard? _l3Guard;
    private readonly ConcurrentDictionary<L1Key, Flight> _flights = new();
    private readonly string _instanceId = Guid.CreateVersion7().ToString("N");
    private readonly long[] _layerHits = new long[CacheLayers.Count];
    private readonly long[] _layerMisses = new long[CacheLayers.Count];
    private readonly long[] _namespaceHits = new long[CacheNamespaces.Count];
    private readonly long[] _namespaceMisses = new long[CacheNamespaces.Count];
    private ITimer? _cleanupTimer;
    private readonly Lock _cleanupLock = new();
    private double _savingsUsd;

    /// <summary><paramref name="redis"/>: the gateway's shared connection, or null (or one not configured) for no L2.</summary>
    public TieredCache(CacheOptions options, RedisConnection? redis, string? l3Path, TimeProvider time, CacheMetrics metrics, ILogger logger)
    {
        _options = options;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        _l1 = new MemoryTier(options.L1MaxEntries, options.L1MaxBytes);
        if (redis is { IsConfigured: true })
        {
            _l2 = new RedisTier(redis, options.RedisKeyPrefix, options.L2Timeout);
            _l2Guard = new TierGuard(CacheLayer.L2, options.L2Timeout, options.BreakDuration, time, metrics, logger);
        }

        if (options.L3Enabled && !string.IsNullOrWhiteSpace(l3Path))
        {
            var l3Guard = new TierGuard(CacheLayer.L3, timeout: null, options.BreakDuration, time, metrics, logger);
            _l3 = new DiskTier(Path.GetFullPath(l3Path), options.L3MaxBytes, l3Guard.WriteBehindFailed, () => metrics.WriteDropped(CacheLayer.L3));
            _l3Guard = l3Guard;
        }

        metrics.Attach(SizeOf, layer => layer switch
        {
            CacheLayer.L2 => _l2Guard?.CircuitOpen ?? false,
            CacheLayer.L3 => _l3Guard?.CircuitOpen ?? false,
            _ => false,
        });
    }

    internal RedisTier? L2 => _l2;

    internal DiskTier? L3 => _l3;

    internal string InstanceId => _instanceId;

    public ValueTask<CacheLookup> GetAsync(CacheNamespace ns, CacheKey key, CacheAccess access, CancellationToken cancellationToken)
    {
        if (!access.CanRead())
        {
            return new ValueTask<CacheLookup>(CacheLookup.Miss);
        }

        var now = _time.GetUtcNow();
        if (_l1.TryGet(new L1Key(ns, key), now.UtcTicks, out var entry))
        {
            RecordHit(CacheLayer.L1, ns, entry!);
            return new ValueTask<CacheLookup>(new CacheLookup(CacheLayer.L1, entry));
        }

        RecordLayerMiss(CacheLayer.L1, ns);
        if (_l2 is null && _l3 is null)
        {
            RecordNamespaceMiss(ns);
            return new ValueTask<CacheLookup>(CacheLookup.Miss);
        }

        return GetFromLowerTiersAsync(ns, key, cancellationToken);
    }

    public ValueTask SetAsync(CacheNamespace ns, CacheKey key, ReadOnlyMemory<byte> value, double costUsd, CacheAccess access, CancellationToken cancellationToken)
    {
        if (!access.CanWrite())
        {
            return ValueTask.CompletedTask;
        }

        return WriteThroughAsync(ns, key, new CacheEntry(value, _time.GetUtcNow(), costUsd), cancellationToken);
    }

    public async ValueTask<CacheLookup> GetOrCreateAsync<TState>(
        CacheNamespace ns,
        CacheKey key,
        TState state,
        Func<TState, CancellationToken, ValueTask<CacheFill>> factory,
        CacheAccess access,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(factory);
        if (access.CanRead())
        {
            var found = await GetAsync(ns, key, access, cancellationToken).ConfigureAwait(false);
            if (found.IsHit)
            {
                return found;
            }
        }

        if (access == CacheAccess.Off)
        {
            var fill = await factory(state, cancellationToken).ConfigureAwait(false);
            return new CacheLookup(CacheLayer.Miss, new CacheEntry(fill.Value, _time.GetUtcNow(), fill.CostUsd));
        }

        var flightKey = new L1Key(ns, key);
        while (true)
        {
            if (_flights.TryGetValue(flightKey, out var running))
            {
                if (running.TryJoin())
                {
                    return await WaitForAsync(running, cancellationToken).ConfigureAwait(false);
                }

                // Every waiter of that flight gave up and it is being cancelled: start a new one.
                _flights.TryRemove(new KeyValuePair<L1Key, Flight>(flightKey, running));
                continue;
            }

            var flight = new Flight();
            if (_flights.TryAdd(flightKey, flight))
            {
                // A flight that ended while this caller looked in L2/L3 stored its entry in L1 before it left the
                // table: look once more, so a miss that raced it does not run the factory a second time.
                if (access.CanRead() && _l1.TryGet(flightKey, _time.GetUtcNow().UtcTicks, out var stored))
                {
                    _flights.TryRemove(new KeyValuePair<L1Key, Flight>(flightKey, flight));
                    flight.Complete(stored, null);
                    RecordHit(CacheLayer.L1, ns, stored!);
                    return new CacheLookup(CacheLayer.L1, stored);
                }

                _ = RunFlightAsync(flight, flightKey, state, factory, access);
                return await WaitForAsync(flight, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public async ValueTask RemoveAsync(CacheNamespace ns, CacheKey key, CancellationToken cancellationToken)
    {
        RemoveLocal(ns, key);
        if (_l2 is not null)
        {
            await _l2Guard!.RunAsync((Tier: _l2, Ns: ns, Key: key), static (s, ct) => s.Tier.RemoveAsync(s.Ns, s.Key, ct), cancellationToken).ConfigureAwait(false);
            await PublishAsync($"r|{ns.Name()}|{key.ToHex()}", cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask<long> ClearAsync(CacheNamespace? ns, CancellationToken cancellationToken)
    {
        var removed = ClearLocal(ns);
        if (_l2 is not null)
        {
            var (ok, count) = await _l2Guard!.RunUnboundedAsync((Tier: _l2, Ns: ns), static (s, ct) => s.Tier.ClearAsync(s.Ns, ct), cancellationToken).ConfigureAwait(false);
            removed += ok ? count : 0;
            await PublishAsync($"c|{ns?.Name() ?? "*"}|", cancellationToken).ConfigureAwait(false);
        }

        return removed;
    }

    public CacheStats GetStats()
    {
        var tiers = new CacheTierStats[]
        {
            new(CacheLayer.L1, true, Interlocked.Read(ref _layerHits[1]), Interlocked.Read(ref _layerMisses[1]), _l1.Count, _l1.Bytes, 0, false),
            new(CacheLayer.L2, _l2 is not null, Interlocked.Read(ref _layerHits[2]), Interlocked.Read(ref _layerMisses[2]), 0, 0, _l2Guard?.Faults ?? 0, _l2Guard?.CircuitOpen ?? false),
            new(CacheLayer.L3, _l3 is not null, Interlocked.Read(ref _layerHits[3]), Interlocked.Read(ref _layerMisses[3]), 0, _l3?.Bytes ?? 0, _l3Guard?.Faults ?? 0, _l3Guard?.CircuitOpen ?? false),
        };
        var namespaces = new CacheNamespaceStats[CacheNamespaces.Count];
        for (var i = 0; i < namespaces.Length; i++)
        {
            namespaces[i] = new CacheNamespaceStats((CacheNamespace)i, Interlocked.Read(ref _namespaceHits[i]), Interlocked.Read(ref _namespaceMisses[i]));
        }

        return new CacheStats(tiers, namespaces, Volatile.Read(ref _savingsUsd));
    }

    /// <summary>Connects the invalidation subscription in the background, cleans L3 once and starts its timer.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        CachingLog.Started(_logger, _options.L1MaxEntries, _options.L1MaxBytes / (1024 * 1024), _l2 is null ? "off" : "on", _l3?.Root ?? "off");
        if (_l2 is not null)
        {
            _ = SubscribeAsync();
        }

        if (_l3 is not null)
        {
            // The first pass (which also counts the folder's size) runs off the start path.
            _ = Task.Run(RunCleanup, CancellationToken.None);
            _cleanupTimer = _time.CreateTimer(static state => ((TieredCache)state!).RunCleanup(), this, _options.L3CleanupInterval, _options.L3CleanupInterval);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _cleanupTimer?.Dispose();
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        _cleanupTimer?.Dispose();
        _l3?.Dispose();
        if (_l2 is not null)
        {
            await _l2.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Runs one L3 cleanup pass now (the timer calls this; tests may too). Returns files removed.</summary>
    internal int RunCleanup()
    {
        if (_l3 is null)
        {
            return 0;
        }

        // Passes queue rather than skip: a timer tick during the start pass still runs after it.
        lock (_cleanupLock)
        {
            try
            {
                var removed = _l3.Cleanup(_time.GetUtcNow());
                CachingLog.CleanedUp(_logger, removed, _l3.Bytes);
                return removed;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _l3Guard!.Failed(e);
                return 0;
            }
        }
    }

    /// <summary>Applies another replica's remove or clear to this replica's L1 and L3; ignores its own messages.</summary>
    internal void OnInvalidation(string message)
    {
        // Format: {instance}|{op}|{namespace or *}|{hash}
        var parts = message.Split('|');
        if (parts.Length != 4 || parts[0] == _instanceId)
        {
            return;
        }

        CacheNamespace? ns = null;
        if (parts[2] != "*")
        {
            if (!CacheNamespaces.TryParse(parts[2], out var one))
            {
                return;
            }

            ns = one;
        }

        if (parts[1] == "c")
        {
            ClearLocal(ns);
        }
        else if (parts[1] == "r" && ns is { } target && CacheKey.TryParseHex(parts[3], out var key))
        {
            RemoveLocal(target, key);
        }
        CachingLog.Invalidated(_logger, message); // after applying: the line says this replica is consistent again
    }

    private async Task SubscribeAsync()
    {
        try
        {
            await _l2!.SubscribeAsync(OnInvalidation).ConfigureAwait(false);
        }
        catch (Exception e) when (e is StackExchange.Redis.RedisException or TimeoutException or InvalidOperationException or ArgumentException)
        {
            _l2Guard!.Failed(e);
        }
    }

    private ValueTask PublishAsync(string op, CancellationToken cancellationToken) =>
        new(_l2Guard!.RunAsync((Tier: _l2!, Message: $"{_instanceId}|{op}"), static (s, ct) => s.Tier.PublishAsync(s.Message, ct), cancellationToken).AsTask());

    private async ValueTask<CacheLookup> GetFromLowerTiersAsync(CacheNamespace ns, CacheKey key, CancellationToken cancellationToken)
    {
        if (_l2 is not null)
        {
            var (ok, data) = await _l2Guard!.RunAsync((Tier: _l2, Ns: ns, Key: key), static (s, ct) => s.Tier.GetAsync(s.Ns, s.Key, ct), cancellationToken).ConfigureAwait(false);
            if (ok && data is not null && EntryCodec.DecodeRedis(data) is { } stored && stored.ExpiresAt > _time.GetUtcNow())
            {
                _l1.Set(new L1Key(ns, key), stored.Entry, L1Expiry(stored.ExpiresAt));
                RecordHit(CacheLayer.L2, ns, stored.Entry);
                return new CacheLookup(CacheLayer.L2, stored.Entry);
            }

            RecordLayerMiss(CacheLayer.L2, ns);
        }

        if (_l3 is not null)
        {
            var (ok, stored) = _l3Guard!.Run((Tier: _l3, Ns: ns, Key: key), static s => s.Tier.Get(s.Ns, s.Key));
            if (ok && stored is { } found)
            {
                if (found.ExpiresAt > _time.GetUtcNow())
                {
                    await WriteL2Async(ns, key, found.Entry, found.ExpiresAt, cancellationToken).ConfigureAwait(false);
                    _l1.Set(new L1Key(ns, key), found.Entry, L1Expiry(found.ExpiresAt));
                    RecordHit(CacheLayer.L3, ns, found.Entry);
                    return new CacheLookup(CacheLayer.L3, found.Entry);
                }

                try
                {
                    _l3.Remove(ns, key);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
                {
                    _l3Guard!.Failed(e);
                }
            }

            RecordLayerMiss(CacheLayer.L3, ns);
        }

        RecordNamespaceMiss(ns);
        return CacheLookup.Miss;
    }

    private async ValueTask WriteThroughAsync(CacheNamespace ns, CacheKey key, CacheEntry entry, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        _l1.Set(new L1Key(ns, key), entry, (now + _options.L1Ttl).UtcTicks);
        var l2 = WriteL2Async(ns, key, entry, now + _options.L2Ttl, cancellationToken);
        WriteL3Behind(ns, key, entry, now + _options.L3Ttl);
        await l2.ConfigureAwait(false);
    }

    /// <summary>
    /// Queues the entry for L3, behind the tier's circuit breaker (see <see cref="TierGuard.QueueWrite"/>): it is committed
    /// within a few milliseconds, with the others queued by then. The caller does not wait for the disk; L1 (and L2)
    /// already answer for the key.
    /// </summary>
    private void WriteL3Behind(CacheNamespace ns, CacheKey key, CacheEntry entry, DateTimeOffset expires)
    {
        if (_l3 is not null)
        {
            _l3Guard!.QueueWrite((Tier: _l3, Ns: ns, Key: key, Entry: entry, Expires: expires), static s => s.Tier.Queue(s.Ns, s.Key, s.Entry, s.Expires));
        }
    }

    /// <summary>Writes L2 with its own TTL, never beyond <paramref name="notAfter"/> (a promoted entry keeps its end).</summary>
    private ValueTask WriteL2Async(CacheNamespace ns, CacheKey key, CacheEntry entry, DateTimeOffset notAfter, CancellationToken cancellationToken)
    {
        if (_l2 is null)
        {
            return ValueTask.CompletedTask;
        }

        var now = _time.GetUtcNow();
        var expires = Min(now + _options.L2Ttl, notAfter);
        var ttl = expires - now;
        if (ttl <= TimeSpan.Zero)
        {
            return ValueTask.CompletedTask;
        }

        var data = EntryCodec.EncodeRedis(entry, expires, _options.L2CompressionThresholdBytes);
        return new ValueTask(_l2Guard!.RunAsync((Tier: _l2, Ns: ns, Key: key, Data: data, Ttl: ttl), static (s, ct) => s.Tier.SetAsync(s.Ns, s.Key, s.Data, s.Ttl, ct), cancellationToken).AsTask());
    }

    private long L1Expiry(DateTimeOffset notAfter) => Min(_time.GetUtcNow() + _options.L1Ttl, notAfter).UtcTicks;

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a <= b ? a : b;

    private void RemoveLocal(CacheNamespace ns, CacheKey key)
    {
        _l1.Remove(new L1Key(ns, key));
        if (_l3 is not null)
        {
            try
            {
                _l3.Remove(ns, key);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _l3Guard!.Failed(e);
            }
        }
    }

    private long ClearLocal(CacheNamespace? ns)
    {
        var removed = _l1.Clear(ns);
        if (_l3 is not null)
        {
            try
            {
                removed += _l3.Clear(ns);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _l3Guard!.Failed(e);
            }
        }

        return removed;
    }

    private void RecordHit(CacheLayer layer, CacheNamespace ns, CacheEntry entry)
    {
        Interlocked.Increment(ref _layerHits[(int)layer]);
        Interlocked.Increment(ref _namespaceHits[(int)ns]);
        _metrics.Hit(layer, ns);
        var cost = entry.CostUsd;
        if (cost > 0)
        {
            _metrics.Savings(cost, ns);
            AddSavings(cost);
        }
    }

    private void RecordLayerMiss(CacheLayer layer, CacheNamespace ns)
    {
        Interlocked.Increment(ref _layerMisses[(int)layer]);
        _metrics.Miss(layer, ns);
    }

    private void RecordNamespaceMiss(CacheNamespace ns) => Interlocked.Increment(ref _namespaceMisses[(int)ns]);

    private void AddSavings(double usd)
    {
        var current = Volatile.Read(ref _savingsUsd);
        while (true)
        {
            var seen = Interlocked.CompareExchange(ref _savingsUsd, current + usd, current);
            if (seen.Equals(current))
            {
                return;
            }

            current = seen;
        }
    }

    private long SizeOf(CacheLayer layer) => layer switch
    {
        CacheLayer.L1 => _l1.Bytes,
        CacheLayer.L3 => _l3?.Bytes ?? 0,
        _ => 0,
    };

    private async Task RunFlightAsync<TState>(Flight flight, L1Key key, TState state, Func<TState, CancellationToken, ValueTask<CacheFill>> factory, CacheAccess access)
    {
        try
        {
            var fill = await factory(state, flight.Token).ConfigureAwait(false);
            var entry = new CacheEntry(fill.Value, _time.GetUtcNow(), fill.CostUsd);
            if (fill.Store && access.CanWrite())
            {
                // Stored before the flight ends, so a request arriving after it finds the entry instead of a new flight.
                await WriteThroughAsync(key.Namespace, key.Key, entry, CancellationToken.None).ConfigureAwait(false);
            }

            _flights.TryRemove(new KeyValuePair<L1Key, Flight>(key, flight));
            flight.Complete(entry, null);
        }
        catch (Exception e)
        {
            // Failures are never cached: the flight ends and the next request tries again.
            _flights.TryRemove(new KeyValuePair<L1Key, Flight>(key, flight));
            flight.Complete(null, e);
        }
    }

    private static async ValueTask<CacheLookup> WaitForAsync(Flight flight, CancellationToken cancellationToken)
    {
        try
        {
            var entry = await flight.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            return new CacheLookup(CacheLayer.Miss, entry);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            flight.Leave();
            throw;
        }
    }

    /// <summary>
    /// One factory run shared by every concurrent miss on a key. Its token is cancelled only when all its waiters
    /// left; a flight in that state takes no new waiters.
    /// </summary>
    private sealed class Flight : IDisposable
    {
        private readonly TaskCompletionSource<CacheEntry> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly CancellationTokenSource _cancellation = new();
        private readonly Lock _lock = new();
        private int _waiters = 1;
        private bool _ended;

        public Task<CacheEntry> Task => _completion.Task;

        public CancellationToken Token => _cancellation.Token;

        public bool TryJoin()
        {
            lock (_lock)
            {
                if (_ended || _cancellation.IsCancellationRequested)
                {
                    return _ended && !_cancellation.IsCancellationRequested;
                }

                _waiters++;
                return true;
            }
        }

        public void Leave()
        {
            // Under the lock so that it cannot race Dispose; the factory's cancellation callbacks take no lock of ours.
            lock (_lock)
            {
                if (!_ended && --_waiters == 0)
                {
                    _cancellation.Cancel();
                }
            }
        }

        public void Complete(CacheEntry? entry, Exception? error)
        {
            lock (_lock)
            {
                _ended = true;
            }

            if (entry is not null)
            {
                _completion.TrySetResult(entry);
            }
            else if (error is OperationCanceledException && _cancellation.IsCancellationRequested)
            {
                _completion.TrySetCanceled(_cancellation.Token);
            }
            else
            {
                _completion.TrySetException(error!);
            }

            Dispose();
        }

        public void Dispose()
        {
            lock (_lock)
            {
                _ended = true;
                _cancellation.Dispose();
            }
        }
    }
}

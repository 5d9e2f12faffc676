namespace GRump.Gateway.Caching;

/// <summary>
/// The three-tier cache: L1 in-process, L2 Redis (when configured), L3 disk. Reads go L1 → L2 → L3 and promote a hit
/// into the faster tiers; writes go through to every enabled tier. A Redis or disk fault never fails a call: that tier
/// is skipped (behind a timeout and a circuit breaker) and the call goes on with the others.
/// Every hit records <c>cache_savings_usd_total</c> from the entry's <see cref="CacheEntry.CostUsd"/>; callers must
/// not record savings for a hit again, and use <see cref="CacheEntry.CostUsd"/> for the ledger and the response.
/// </summary>
public interface ITieredCache
{
    /// <summary>
    /// Looks a key up. Completes synchronously and allocates nothing on an L1 hit. Returns a miss without looking when
    /// <paramref name="access"/> cannot read (OFF, WRITE_ONLY).
    /// </summary>
    ValueTask<CacheLookup> GetAsync(CacheNamespace ns, CacheKey key, CacheAccess access, CancellationToken cancellationToken);

    /// <summary>Writes through to every enabled tier; a no-op when <paramref name="access"/> cannot write.</summary>
    ValueTask SetAsync(CacheNamespace ns, CacheKey key, ReadOnlyMemory<byte> value, double costUsd, CacheAccess access, CancellationToken cancellationToken);

    /// <summary>
    /// Returns the cached entry, or runs <paramref name="factory"/> and stores its result (as <paramref name="access"/>
    /// and <see cref="CacheFill.Store"/> allow). Concurrent misses on one key run the factory once and all get its
    /// result; a factory failure is not cached and is thrown to every waiter. The factory's token is cancelled only
    /// when every waiter has given up. On a miss the result's <see cref="CacheLookup.Layer"/> is
    /// <see cref="CacheLayer.Miss"/> and its entry is the produced one.
    /// </summary>
    ValueTask<CacheLookup> GetOrCreateAsync<TState>(
        CacheNamespace ns,
        CacheKey key,
        TState state,
        Func<TState, CancellationToken, ValueTask<CacheFill>> factory,
        CacheAccess access,
        CancellationToken cancellationToken);

    /// <summary>Removes a key from every tier, and from the other replicas' L1 and L3 (Redis pub/sub).</summary>
    ValueTask RemoveAsync(CacheNamespace ns, CacheKey key, CancellationToken cancellationToken);

    /// <summary>
    /// Clears one namespace, or all when <paramref name="ns"/> is null, in every tier and on the other replicas.
    /// Deletes only this cache's Redis keys (its prefix). Returns how many entries were removed (L1 + L2 + L3).
    /// </summary>
    ValueTask<long> ClearAsync(CacheNamespace? ns, CancellationToken cancellationToken);

    /// <summary>Counters and sizes per tier and per namespace.</summary>
    CacheStats GetStats();
}

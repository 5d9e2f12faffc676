using BitFaster.Caching.Lru;

namespace GRump.Gateway.Caching.Internal;

/// <summary>L1's key: namespace and hash, a value type (no allocation per lookup).</summary>
internal readonly record struct L1Key(CacheNamespace Namespace, CacheKey Key)
{
    public override int GetHashCode() => Key.GetHashCode() ^ (int)Namespace;
}

/// <summary>What L1 stores: the entry handed out as is, and its L1 expiry (ticks of the injected clock's UTC time).</summary>
internal sealed class L1Slot(CacheEntry entry, long expiresAtTicks)
{
    public CacheEntry Entry { get; } = entry;

    public long ExpiresAtTicks { get; } = expiresAtTicks;

    public int Size => Entry.Value.Length + 64;
}

/// <summary>
/// L1: BitFaster's <see cref="ConcurrentLru{K,V}"/> bounded by count, plus a byte budget kept from its events and
/// enforced by trimming the coldest entries. Expiry is checked on read against the injected clock (the library's
/// own TTL would read the system clock).
/// </summary>
internal sealed class MemoryTier
{
    private readonly ConcurrentLru<L1Key, L1Slot> _lru;
    private readonly long _maxBytes;
    private readonly Lock _trimLock = new();
    private long _bytes;

    public MemoryTier(int maxEntries, long maxBytes)
    {
        _maxBytes = maxBytes;
        // Capacity below 3 is rejected by the library (hot, warm and cold queues).
        _lru = new ConcurrentLru<L1Key, L1Slot>(Environment.ProcessorCount, Math.Max(3, maxEntries), EqualityComparer<L1Key>.Default);
        var events = _lru.Events.Value ?? throw new InvalidOperationException("ConcurrentLru without events.");
        events.ItemRemoved += (_, e) => Interlocked.Add(ref _bytes, -e.Value!.Size);
        // Every write adds its size up front; an update then takes the replaced value's size back out.
        events.ItemUpdated += (_, e) => Interlocked.Add(ref _bytes, -e.OldValue!.Size);
    }

    public long Bytes => Interlocked.Read(ref _bytes);

    public int Count => _lru.Count;

    public bool TryGet(L1Key key, long nowTicks, out CacheEntry? entry)
    {
        if (_lru.TryGet(key, out var slot))
        {
            if (slot.ExpiresAtTicks > nowTicks)
            {
                entry = slot.Entry;
                return true;
            }

            _lru.TryRemove(new KeyValuePair<L1Key, L1Slot>(key, slot));
        }

        entry = null;
        return false;
    }

    public void Set(L1Key key, CacheEntry entry, long expiresAtTicks)
    {
        var slot = new L1Slot(entry, expiresAtTicks);
        if (slot.Size > _maxBytes)
        {
            _lru.TryRemove(key);
            return;
        }

        Interlocked.Add(ref _bytes, slot.Size);
        _lru.AddOrUpdate(key, slot);
        if (Interlocked.Read(ref _bytes) > _maxBytes)
        {
            Trim();
        }
    }

    public bool Remove(L1Key key) => _lru.TryRemove(key);

    public long Clear(CacheNamespace? ns)
    {
        if (ns is null)
        {
            var count = _lru.Count;
            _lru.Clear();
            return count;
        }

        long removed = 0;
        foreach (var key in _lru.Keys)
        {
            if (key.Namespace == ns && _lru.TryRemove(key))
            {
                removed++;
            }
        }

        return removed;
    }

    private void Trim()
    {
        // One trimmer at a time; the others' bytes are covered by its loop.
        if (!_trimLock.TryEnter())
        {
            return;
        }

        try
        {
            var eviction = _lru.Policy.Eviction.Value!;
            while (Interlocked.Read(ref _bytes) > _maxBytes && _lru.Count > 0)
            {
                eviction.Trim(1);
            }
        }
        finally
        {
            _trimLock.Exit();
        }
    }
}

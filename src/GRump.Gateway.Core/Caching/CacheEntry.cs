namespace GRump.Gateway.Caching;

/// <summary>
/// A cached value: the payload bytes, when it was produced, and what producing it cost upstream (USD) — the amount a
/// hit saves. Immutable; L1 hands out the stored instance, so never write into <see cref="Value"/>.
/// </summary>
public sealed class CacheEntry
{
    public CacheEntry(ReadOnlyMemory<byte> value, DateTimeOffset createdAt, double costUsd)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(costUsd);
        Value = value;
        CreatedAt = createdAt;
        CostUsd = costUsd;
    }

    public ReadOnlyMemory<byte> Value { get; }

    public DateTimeOffset CreatedAt { get; }

    /// <summary>What the upstream call that produced this value cost, at the producing model's price (0 when free or unknown).</summary>
    public double CostUsd { get; }
}

/// <summary>
/// The result of a lookup: the tier that served it (or <see cref="CacheLayer.Miss"/>) and the entry. After
/// <see cref="ITieredCache.GetOrCreateAsync{TState}"/> a miss carries the freshly produced entry.
/// </summary>
public readonly record struct CacheLookup(CacheLayer Layer, CacheEntry? Entry)
{
    public static CacheLookup Miss => default;

    /// <summary>True when a tier served the entry (no upstream call was made for this request).</summary>
    public bool IsHit => Layer != CacheLayer.Miss && Entry is not null;
}

/// <summary>What a factory produced on a miss: the value, its upstream cost, and whether it may be stored.</summary>
/// <param name="Value">The payload (e.g. a serialized <see cref="CachedCompletion"/>).</param>
/// <param name="CostUsd">What producing it cost; a later hit records it as savings.</param>
/// <param name="Store">False to hand the value to every waiter without caching it (e.g. an answer that must not be reused).</param>
public readonly record struct CacheFill(ReadOnlyMemory<byte> Value, double CostUsd, bool Store = true);

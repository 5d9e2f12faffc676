namespace GRump.Gateway.Caching;

/// <summary>One tier's counters. Size and entries are what this replica knows (L2: not tracked, 0).</summary>
public readonly record struct CacheTierStats(CacheLayer Layer, bool Enabled, long Hits, long Misses, long Entries, long SizeBytes, long Faults, bool CircuitOpen);

/// <summary>One namespace's counters: a hit is a lookup any tier served; a miss one none served.</summary>
public readonly record struct CacheNamespaceStats(CacheNamespace Namespace, long Hits, long Misses)
{
    public double HitRate => Hits + Misses == 0 ? 0 : (double)Hits / (Hits + Misses);
}

/// <summary>A snapshot of the cache's counters.</summary>
public sealed record CacheStats(IReadOnlyList<CacheTierStats> Tiers, IReadOnlyList<CacheNamespaceStats> Namespaces, double SavingsUsd);

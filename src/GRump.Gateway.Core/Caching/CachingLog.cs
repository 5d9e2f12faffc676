using Microsoft.Extensions.Logging;

namespace GRump.Gateway.Caching;

internal static partial class CachingLog
{
    [LoggerMessage(1, LogLevel.Warning, "Cache tier {Layer} failed ({Error}); requests go on without it until it recovers. Further faults are counted in tiered_cache_faults_total, not logged.")]
    public static partial void TierFaulted(ILogger logger, string layer, string error);

    [LoggerMessage(2, LogLevel.Information, "Cache tier {Layer} works again.")]
    public static partial void TierRecovered(ILogger logger, string layer);

    [LoggerMessage(3, LogLevel.Warning, "Cache tier {Layer} circuit opened for {BreakSeconds} s after repeated faults.")]
    public static partial void CircuitOpened(ILogger logger, string layer, double breakSeconds);

    [LoggerMessage(4, LogLevel.Information, "Cache tier {Layer} circuit closed.")]
    public static partial void CircuitClosed(ILogger logger, string layer);

    [LoggerMessage(5, LogLevel.Information, "Cache tiers: L1 ({L1Entries} entries, {L1MiB} MiB), L2 {L2}, L3 {L3}.")]
    public static partial void Started(ILogger logger, int l1Entries, long l1MiB, string l2, string l3);

    [LoggerMessage(6, LogLevel.Information, "Cache warmed with {Count} entries from {File}.")]
    public static partial void Warmed(ILogger logger, int count, string file);

    [LoggerMessage(7, LogLevel.Debug, "Cache invalidation from another replica: {Message}")]
    public static partial void Invalidated(ILogger logger, string message);

    [LoggerMessage(8, LogLevel.Debug, "L3 cleanup removed {Removed} expired entries; {Bytes} bytes on disk.")]
    public static partial void CleanedUp(ILogger logger, int removed, long bytes);
}

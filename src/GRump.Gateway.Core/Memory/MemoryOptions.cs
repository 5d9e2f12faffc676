using System.ComponentModel.DataAnnotations;

namespace GRump.Gateway.Memory;

/// <summary>
/// <c>Memory</c> configuration: giving memory back to the system when the gateway goes idle (docs/performance.md,
/// Footprint). The GC frees dead objects but keeps the memory it committed for them (the gen0 budget grown under load,
/// the large-object heap holding start-up garbage) until a collection decides otherwise, and an idle process allocates
/// too little to trigger one: without a trim, RSS stays at its peak after load.
/// </summary>
public sealed class MemoryOptions
{
    public const string SectionName = "Memory";

    /// <summary>When the gateway goes idle after activity (start-up included), one compacting full collection and a trim of the malloc arenas, returning free memory to the system.</summary>
    public bool IdleTrim { get; set; } = true;

    /// <summary>How often allocation is sampled; the process is idle when an interval allocated less than <see cref="IdleAllocationBytes"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Bytes allocated in one interval below which the process counts as idle. An idle gateway allocates ~30 KB/s (timers,
    /// health probes, metrics); one proxied chat allocates tens of kilobytes.
    /// </summary>
    [Range(0, long.MaxValue)]
    public long IdleAllocationBytes { get; set; } = 2 * 1024 * 1024;

    /// <summary>
    /// Least time between two trims: traffic that pauses every few seconds must not pay a full collection at each pause
    /// (a trim is a blocking collection: milliseconds to tens of milliseconds on a heap of a few tens of MB).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan MinimumTrimInterval { get; set; } = TimeSpan.FromSeconds(10);
}

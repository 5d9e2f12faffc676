using System.ComponentModel.DataAnnotations;

namespace GRump.Gateway.Caching;

/// <summary>The tiered cache (<c>Cache</c> section). TTLs are <see cref="TimeSpan"/>s end to end.</summary>
public sealed class CacheOptions
{
    public const string SectionName = "Cache";

    /// <summary>L1 (in-process) time to live.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "7.00:00:00")]
    public TimeSpan L1Ttl { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>L2 (Redis) time to live.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "30.00:00:00")]
    public TimeSpan L2Ttl { get; set; } = TimeSpan.FromHours(1);

    /// <summary>L3 (disk) time to live.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "365.00:00:00")]
    public TimeSpan L3Ttl { get; set; } = TimeSpan.FromHours(24);

    /// <summary>L1 holds at most this many entries (least recently used go first).</summary>
    [Range(1, 10_000_000)]
    public int L1MaxEntries { get; set; } = 500;

    /// <summary>L1 holds at most this many payload bytes; a single larger value skips L1.</summary>
    [Range(1024, long.MaxValue)]
    public long L1MaxBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>L2 values of at least this many bytes are stored gzip-compressed.</summary>
    [Range(0, int.MaxValue)]
    public int L2CompressionThresholdBytes { get; set; } = 1024;

    /// <summary>Prefix of every Redis key and of the invalidation channel; Clear deletes only keys under it.</summary>
    [Required(AllowEmptyStrings = false)]
    [RegularExpression(@"^[A-Za-z0-9:_\-.]{1,64}$", ErrorMessage = "Use 1-64 letters, digits, ':', '_', '-', '.' (no glob characters).")]
    public string RedisKeyPrefix { get; set; } = "grump:cache:";

    /// <summary>Bound on one L2 call (Redis); a slower call counts as a fault and the request goes on without L2.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00")]
    public TimeSpan L2Timeout { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long a tier's circuit stays open after it tripped before one call probes it again.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00")]
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The L3 folder; empty = <c>&lt;Gateway:DataPath&gt;/cache</c>.</summary>
    public string L3Path { get; set; } = string.Empty;

    /// <summary>
    /// L3 may use at most this many bytes on disk (database, write-ahead log and its index); a write that would pass it
    /// deletes the oldest entries first. At least 1 MiB.
    /// </summary>
    [Range(1024 * 1024, long.MaxValue)]
    public long L3MaxBytes { get; set; } = 1024L * 1024 * 1024;

    /// <summary>How often expired L3 entries are deleted (and surplus free pages returned to the file system).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan L3CleanupInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Set false to run without a disk tier.</summary>
    public bool L3Enabled { get; set; } = true;

    /// <summary>A JSON file of entries loaded at start (see docs/caching.md); empty = none.</summary>
    public string WarmFile { get; set; } = string.Empty;
}

/// <summary>
/// The <c>Redis</c> section: the StackExchange.Redis connection string, or env <c>GRUMP_REDIS</c>. Empty = no L2.
/// </summary>
public sealed class RedisOptions
{
    public const string SectionName = "Redis";

    /// <summary>The environment variable DESIGN.md names as an alternative to <c>Redis:Configuration</c>.</summary>
    public const string EnvironmentVariable = "GRUMP_REDIS";

    public string Configuration { get; set; } = string.Empty;
}

using System.ComponentModel.DataAnnotations;

namespace GRump.Gateway.Cost;

/// <summary><c>Cost</c> configuration. The store is SQLite (<c>&lt;Gateway:DataPath&gt;/ledger.db</c>) unless Redis is configured.</summary>
public sealed class CostOptions
{
    public const string SectionName = "Cost";

    /// <summary>Records that may wait for the SQLite writer (the ledger, or the Redis store's journal) before callers are slowed down.</summary>
    [Range(16, 1_000_000)]
    public int WriteQueueCapacity { get; set; } = 10_000;

    /// <summary>Alert threshold for a budget set without one, in percent.</summary>
    [Range(1, 100)]
    public double DefaultAlertThresholdPercent { get; set; } = 80;

    /// <summary>Models whose price per million output tokens is at most this count as cheap in savings reports.</summary>
    [Range(0, 1000)]
    public double CheapModelMaxOutputPrice { get; set; } = 5;

    /// <summary>Redis store: prefix of every ledger key (a fleet shares one; tests use their own).</summary>
    [Required(AllowEmptyStrings = false)]
    [RegularExpression(@"^[A-Za-z0-9:_\-.]{1,64}$", ErrorMessage = "Use 1-64 letters, digits, ':', '_', '-', '.' (no glob or hash-tag characters).")]
    public string RedisKeyPrefix { get; set; } = "grump:ledger:";

    /// <summary>
    /// Raw ledger records (one per call) are kept this long; older ones are rolled up into hourly aggregates. Totals,
    /// costs by model, operation, day and hour stay exact; what goes is the per-call detail (and, for a window shorter
    /// than an hour, the minute within the hour: the summary's "last hour" then counts whole hours). The Redis store
    /// trims its raw-record stream to this window on every write; its day and hour aggregates are kept apart.
    /// </summary>
    [Range(typeof(TimeSpan), "00:01:00", "3650.00:00:00")]
    public TimeSpan RawRecordRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// Hourly aggregates are kept this long (at least <see cref="RawRecordRetention"/>, and 2 days so the last 24 hours
    /// always have their hours); older ones are rolled up into daily aggregates, which are kept.
    /// </summary>
    [Range(typeof(TimeSpan), "2.00:00:00", "3650.00:00:00")]
    public TimeSpan HourlyRetention { get; set; } = TimeSpan.FromDays(90);

    /// <summary>How often the roll-up runs (first run one interval after start).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan RollupInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Redis store: how long a reservation holds budget at most (a crashed replica's holds lapse after it).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan ReservationTtl { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Redis store, during an outage: how much new spend one replica may admit per tenant beyond the last spend Redis
    /// reported (0 = none: tenants with a budget are refused until Redis is back). A fleet of N replicas overshoots a
    /// budget by at most N × this per outage.
    /// </summary>
    [Range(0, 1_000_000)]
    public double OutageAllowanceUsd { get; set; } = 1;

    /// <summary>Redis store, during an outage: how often to try Redis again (it is also tried as soon as the connection is restored).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan OutageRetryInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Redis store: journaled records sent to Redis in one script call.</summary>
    [Range(1, 4096)]
    public int ReplayBatchSize { get; set; } = 256;

    /// <summary>
    /// Redis store: pause after each replayed batch (zero: none). Spreads a long journal's replay, so a replica back from
    /// an outage does not send its whole journal to Redis at once.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan ReplayBatchPause { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// Redis store: how long Redis remembers which journaled records of a replica it applied (refreshed on every apply).
    /// A replica whose journal still holds records after this long without reaching Redis may count its last batch twice.
    /// </summary>
    [Range(typeof(TimeSpan), "01:00:00", "365.00:00:00")]
    public TimeSpan JournalRetention { get; set; } = TimeSpan.FromDays(30);
}

using System.ComponentModel.DataAnnotations;

namespace GRump.Gateway.Cost;

/// <summary><c>Cost</c> configuration. The store is SQLite (<c>&lt;Gateway:DataPath&gt;/ledger.db</c>) unless Redis is configured.</summary>
public sealed class CostOptions
{
    public const string SectionName = "Cost";

    /// <summary>Records that may wait for the SQLite writer before callers are slowed down.</summary>
    [Range(16, 1_000_000)]
    public int WriteQueueCapacity { get; set; } = 10_000;

    /// <summary>Alert threshold for a budget set without one, in percent.</summary>
    [Range(1, 100)]
    public double DefaultAlertThresholdPercent { get; set; } = 80;

    /// <summary>Models whose price per million output tokens is at most this count as cheap in savings reports.</summary>
    [Range(0, 1000)]
    public double CheapModelMaxOutputPrice { get; set; } = 5;
}

namespace GRump.Gateway.Cost;

/// <summary>One metered event: an upstream call or a cache hit. The ledger, /metrics and responses all derive from these.</summary>
public sealed record CostRecord
{
    public required Guid Id { get; init; }

    public required string Tenant { get; init; }

    public string Session { get; init; } = string.Empty;

    public required string Model { get; init; }

    public required string Provider { get; init; }

    /// <summary>One of <see cref="CostOperations"/>.</summary>
    public required string Operation { get; init; }

    public long InputTokens { get; init; }

    public long OutputTokens { get; init; }

    /// <summary>Prompt tokens read from the provider's prompt cache (part of <see cref="InputTokens"/>).</summary>
    public long CacheReadTokens { get; init; }

    /// <summary>Prompt tokens written to the provider's cache, 5-minute TTL (part of <see cref="InputTokens"/>).</summary>
    public long CacheWriteTokens { get; init; }

    /// <summary>Prompt tokens written to the provider's cache, 1-hour TTL (part of <see cref="InputTokens"/>).</summary>
    public long CacheWrite1hTokens { get; init; }

    /// <summary>Reasoning tokens (part of <see cref="OutputTokens"/>; 0 when the provider does not report them).</summary>
    public long ReasoningTokens { get; init; }

    public double CostUsd { get; init; }

    public bool CacheHit { get; init; }

    /// <summary>What a cache hit avoided paying.</summary>
    public double CacheSavingsUsd { get; init; }

    /// <summary>The premium model's price for the same tokens minus <see cref="CostUsd"/>.</summary>
    public double RoutingSavingsUsd { get; init; }

    public required DateTimeOffset Timestamp { get; init; }
}

public static class CostOperations
{
    public const string Chat = "chat";
    public const string Stream = "stream";
    public const string Embed = "embed";
    public const string Intent = "intent";
    public const string Plan = "plan";
    public const string Ship = "ship";

    /// <summary>A call forwarded by the <c>/v1</c> passthrough.</summary>
    public const string Passthrough = "passthrough";
}

/// <summary>
/// A tenant's budget. 0 = no limit for that period. <see cref="DailyCapUsd"/> / <see cref="MonthlyCapUsd"/>: what an
/// admin key set (0 = none) — the tenant's own key may lower its limit below a cap, never raise it above or remove it.
/// </summary>
public sealed record BudgetSettings(double DailyLimitUsd, double MonthlyLimitUsd, double AlertThresholdPercent = 80, double DailyCapUsd = 0, double MonthlyCapUsd = 0);

/// <summary>What a tenant has spent and holds reserved in the current UTC day and month.</summary>
public sealed record SpendStatus(double DailySpentUsd, double MonthlySpentUsd, double ReservedUsd);

/// <summary>Everything metered for a tenant in one UTC day.</summary>
public sealed record DailyAggregate(
    DateOnly Day,
    double CostUsd,
    long Requests,
    long CacheHits,
    double CacheSavingsUsd,
    double RoutingSavingsUsd,
    IReadOnlyDictionary<string, ModelAggregate> ByModel,
    IReadOnlyDictionary<string, double> CostByOperation)
{
    /// <summary>The day's tokens by kind.</summary>
    public TokenTotals Tokens { get; init; } = TokenTotals.Zero;
}

/// <summary>Tokens by kind, summed over records: cache reads and writes are part of input, reasoning part of output.</summary>
public sealed record TokenTotals(long Input, long Output, long CacheRead, long CacheWrite, long CacheWrite1h, long Reasoning)
{
    public static TokenTotals Zero { get; } = new(0, 0, 0, 0, 0, 0);

    public static TokenTotals Of(CostRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return new(record.InputTokens, record.OutputTokens, record.CacheReadTokens, record.CacheWriteTokens, record.CacheWrite1hTokens, record.ReasoningTokens);
    }

    public TokenTotals Add(TokenTotals other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return new(Input + other.Input, Output + other.Output, CacheRead + other.CacheRead, CacheWrite + other.CacheWrite,
            CacheWrite1h + other.CacheWrite1h, Reasoning + other.Reasoning);
    }
}

public sealed record ModelAggregate(double CostUsd, long Requests);

/// <summary>Everything metered for a tenant in one UTC hour (<paramref name="Hour"/> is its start).</summary>
public sealed record HourlyAggregate(DateTimeOffset Hour, double CostUsd, long Requests);

/// <summary>Money held for an admitted request until its record is written (then reconciled to the actual cost).</summary>
public sealed record BudgetReservation(Guid Id, string Tenant, double AmountUsd, string Day, string Month);

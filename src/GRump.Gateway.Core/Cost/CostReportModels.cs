namespace GRump.Gateway.Cost;

/// <summary>One tenant's spend over a range of UTC days (GetSummary).</summary>
public sealed record CostSummary(
    string Tenant,
    DateOnly Start,
    DateOnly End,
    double TotalCost,
    long TotalRequests,
    double CacheHitRate,
    double CacheSavings,
    double ModelRoutingSavings,
    double TotalSavings,
    IReadOnlyDictionary<string, double> CostByModel,
    IReadOnlyDictionary<string, double> CostByOperation,
    IReadOnlyDictionary<string, double> CostByProvider,
    IReadOnlyList<DailyCost> CostByDay)
{
    /// <summary>Tokens metered in the range, by kind (cache reads and writes, reasoning).</summary>
    public TokenTotals Tokens { get; init; } = TokenTotals.Zero;
}

/// <summary>One UTC day of a <see cref="CostSummary"/>.</summary>
public readonly record struct DailyCost(DateOnly Day, double Cost, long Requests);

/// <summary>A tenant's budget limits and where its spend stands against them (GetBudget, SetBudget).</summary>
public sealed record BudgetReport(
    string Tenant,
    BudgetSettings Limits,
    double DailySpentUsd,
    double MonthlySpentUsd,
    double ReservedUsd,
    double DailyPercent,
    double MonthlyPercent,
    bool Alert,
    bool Exhausted);

/// <summary>One advice computed from the ledger, with the saving it is estimated to bring.</summary>
public sealed record CostRecommendation(string Kind, string Title, string Detail, string Severity, double EstimatedSavingsUsd = 0);

/// <summary>Spend of the last hour and the last 24 hours (GetRealtime), with each of those 24 UTC hours (oldest first).</summary>
public sealed record RealtimeCost(
    double LastHourCost,
    long LastHourRequests,
    double Last24HoursCost,
    long Last24HoursRequests,
    double CurrentRateUsdPerHour,
    IReadOnlyList<HourlyAggregate> CostByHour);

/// <summary>What routing and the cache saved over the last 30 days (GetSavings).</summary>
public sealed record SavingsReport(long TotalRequests, double CheapModelShare, double ModelRoutingSavings, double CacheSavings, double TotalSavings);

/// <summary>Today's spend in one line (GetSnippet).</summary>
public sealed record CostSnippet(double TodayCost, long TodayRequests, double DailyLimitUsd);

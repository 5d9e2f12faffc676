using System.Globalization;
using GRump.Gateway.Errors;
using GRump.Gateway.Routing;
using Microsoft.Extensions.Options;

namespace GRump.Gateway.Cost;

/// <summary>
/// The CostService answers, computed from the ledger of one tenant: summary, budget, recommendations, realtime,
/// savings and snippet. Dates are UTC days (<c>yyyy-MM-dd</c>); a summary without dates covers the last 30 days.
/// </summary>
public sealed class CostReports(CostLedger ledger, ModelRegistry registry, IOptions<CostOptions> options, TimeProvider time)
{
    private const int DefaultDays = 30;
    private const int MaxDays = 366;
    private const int HourlyWindow = 24;

    /// <summary>The provider of a model the registry does not know (cost by provider).</summary>
    public const string OtherProvider = "other";

    public async Task<CostSummary> SummaryAsync(string tenant, string startDate, string endDate, CancellationToken cancellationToken)
    {
        var today = Today();
        var end = ParseDate("end_date", endDate) ?? today;
        var start = ParseDate("start_date", startDate) ?? end.AddDays(1 - DefaultDays);
        if (start > end)
        {
            GatewayErrors.ThrowInvalidArgument("start_date", $"{start:yyyy-MM-dd} is after end_date {end:yyyy-MM-dd}");
        }
        if (end.DayNumber - start.DayNumber >= MaxDays)
        {
            GatewayErrors.ThrowInvalidArgument("start_date", $"the range covers more than {MaxDays} days");
        }
        var days = await ledger.Store.GetDailyAsync(tenant, start, end, cancellationToken).ConfigureAwait(false);
        var requests = days.Sum(d => d.Requests);
        var cacheSavings = days.Sum(d => d.CacheSavingsUsd);
        var routingSavings = days.Sum(d => d.RoutingSavingsUsd);
        var byModel = new Dictionary<string, double>(StringComparer.Ordinal);
        var byOperation = new Dictionary<string, double>(StringComparer.Ordinal);
        var byProvider = new Dictionary<string, double>(StringComparer.Ordinal);
        var byDay = new DailyCost[days.Count];
        for (var i = 0; i < days.Count; i++)
        {
            var day = days[i];
            foreach (var (model, aggregate) in day.ByModel)
            {
                byModel[model] = byModel.GetValueOrDefault(model) + aggregate.CostUsd;
                // The ledger aggregates by model; each registry model has one provider, so this split is exact for them.
                var provider = registry.TryGet(model, out var definition) ? definition.Provider : OtherProvider;
                byProvider[provider] = byProvider.GetValueOrDefault(provider) + aggregate.CostUsd;
            }
            foreach (var (operation, cost) in day.CostByOperation)
            {
                byOperation[operation] = byOperation.GetValueOrDefault(operation) + cost;
            }
            byDay[i] = new DailyCost(day.Day, day.CostUsd, day.Requests);
        }
        return new CostSummary(
            Tenant: tenant,
            Start: start,
            End: end,
            TotalCost: days.Sum(d => d.CostUsd),
            TotalRequests: requests,
            CacheHitRate: requests == 0 ? 0 : (double)days.Sum(d => d.CacheHits) / requests,
            CacheSavings: cacheSavings,
            ModelRoutingSavings: routingSavings,
            TotalSavings: cacheSavings + routingSavings,
            CostByModel: byModel,
            CostByOperation: byOperation,
            CostByProvider: byProvider,
            CostByDay: byDay)
        {
            Tokens = days.Aggregate(TokenTotals.Zero, static (sum, day) => sum.Add(day.Tokens)),
        };
    }

    public async Task<BudgetReport> BudgetAsync(string tenant, CancellationToken cancellationToken)
    {
        var budget = await ledger.Store.GetBudgetAsync(tenant, cancellationToken).ConfigureAwait(false)
            ?? new BudgetSettings(0, 0, options.Value.DefaultAlertThresholdPercent);
        var spend = await ledger.Store.GetSpendAsync(tenant, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        var dailyPercent = Percent(spend.DailySpentUsd, budget.DailyLimitUsd);
        var monthlyPercent = Percent(spend.MonthlySpentUsd, budget.MonthlyLimitUsd);
        return new BudgetReport(
            Tenant: tenant,
            Limits: budget,
            DailySpentUsd: spend.DailySpentUsd,
            MonthlySpentUsd: spend.MonthlySpentUsd,
            ReservedUsd: spend.ReservedUsd,
            DailyPercent: dailyPercent,
            MonthlyPercent: monthlyPercent,
            Alert: Math.Max(dailyPercent, monthlyPercent) >= budget.AlertThresholdPercent,
            Exhausted: (budget.DailyLimitUsd > 0 && spend.DailySpentUsd >= budget.DailyLimitUsd)
                || (budget.MonthlyLimitUsd > 0 && spend.MonthlySpentUsd >= budget.MonthlyLimitUsd));
    }

    /// <summary>
    /// Sets a tenant's budget. Set by an admin key (<paramref name="byAdmin"/>), the limits are also caps; set by the
    /// tenant's own user key, each limit must stay within the admin's cap for that period (a lower limit is fine; a
    /// higher one, or 0 = none, is PERMISSION_DENIED) and the caps are kept.
    /// </summary>
    public async Task SetBudgetAsync(string tenant, double dailyLimitUsd, double monthlyLimitUsd, double alertThresholdPercent, bool byAdmin, CancellationToken cancellationToken)
    {
        if (!double.IsFinite(dailyLimitUsd) || dailyLimitUsd < 0)
        {
            GatewayErrors.ThrowInvalidArgument("daily_limit_usd", "must be 0 (no limit) or a positive amount in USD");
        }
        if (!double.IsFinite(monthlyLimitUsd) || monthlyLimitUsd < 0)
        {
            GatewayErrors.ThrowInvalidArgument("monthly_limit_usd", "must be 0 (no limit) or a positive amount in USD");
        }
        if (!double.IsFinite(alertThresholdPercent) || alertThresholdPercent is < 0 or > 100)
        {
            GatewayErrors.ThrowInvalidArgument("alert_threshold_percent", "must be between 1 and 100 (0 = the default 80)");
        }
        var threshold = alertThresholdPercent == 0 ? options.Value.DefaultAlertThresholdPercent : alertThresholdPercent;
        if (byAdmin)
        {
            await ledger.Store.SetBudgetAsync(tenant, new BudgetSettings(dailyLimitUsd, monthlyLimitUsd, threshold, dailyLimitUsd, monthlyLimitUsd), cancellationToken).ConfigureAwait(false);
            return;
        }

        var current = await ledger.Store.GetBudgetAsync(tenant, cancellationToken).ConfigureAwait(false);
        var dailyCap = current?.DailyCapUsd ?? 0;
        var monthlyCap = current?.MonthlyCapUsd ?? 0;
        WithinCap("daily_limit_usd", "daily", dailyLimitUsd, dailyCap);
        WithinCap("monthly_limit_usd", "monthly", monthlyLimitUsd, monthlyCap);
        await ledger.Store.SetBudgetAsync(tenant, new BudgetSettings(dailyLimitUsd, monthlyLimitUsd, threshold, dailyCap, monthlyCap), cancellationToken).ConfigureAwait(false);

        void WithinCap(string field, string period, double limit, double cap)
        {
            if (cap > 0 && (limit <= 0 || limit > cap + 1e-12))
            {
                throw new GatewayException(GatewayErrorKind.PermissionDenied,
                    string.Create(CultureInfo.InvariantCulture,
                        $"{field}: an admin capped tenant '{tenant}' at ${cap:0.######} {period}; a user key may set a lower limit, not a higher one or none ({(limit <= 0 ? "0 = no limit" : "$" + limit.ToString("0.######", CultureInfo.InvariantCulture))}). Ask an admin to change the cap."),
                    [new FieldViolation(field, "above the admin's cap")])
                { Reason = "BUDGET_CAPPED" };
            }
        }
    }

    public async Task<RealtimeCost> RealtimeAsync(string tenant, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var hour = await ledger.Store.GetSinceAsync(tenant, now.AddHours(-1), cancellationToken).ConfigureAwait(false);
        var day = await ledger.Store.GetSinceAsync(tenant, now.AddHours(-24), cancellationToken).ConfigureAwait(false);
        // The current hour and the 23 before it, each listed (0 when nothing was metered) so a chart has no gaps.
        var firstHour = new DateTimeOffset(now.UtcDateTime.Ticks - (now.UtcDateTime.Ticks % TimeSpan.TicksPerHour), TimeSpan.Zero).AddHours(1 - HourlyWindow);
        var hours = await ledger.Store.GetHourlyAsync(tenant, firstHour, cancellationToken).ConfigureAwait(false);
        var byHour = new HourlyAggregate[HourlyWindow];
        for (var i = 0; i < HourlyWindow; i++)
        {
            var start = firstHour.AddHours(i);
            var metered = hours.FirstOrDefault(h => h.Hour == start);
            byHour[i] = new HourlyAggregate(start, metered?.CostUsd ?? 0, metered?.Requests ?? 0);
        }
        return new RealtimeCost(
            LastHourCost: hour.CostUsd,
            LastHourRequests: hour.Requests,
            Last24HoursCost: day.CostUsd,
            Last24HoursRequests: day.Requests,
            CurrentRateUsdPerHour: hour.CostUsd,
            CostByHour: byHour);
    }

    public async Task<SavingsReport> SavingsAsync(string tenant, CancellationToken cancellationToken)
    {
        var days = await LastDaysAsync(tenant, cancellationToken).ConfigureAwait(false);
        long upstream = 0, cheap = 0;
        foreach (var (model, aggregate) in days.SelectMany(d => d.ByModel))
        {
            upstream += aggregate.Requests;
            cheap += IsCheap(model) ? aggregate.Requests : 0;
        }
        var routingSavings = days.Sum(d => d.RoutingSavingsUsd);
        var cacheSavings = days.Sum(d => d.CacheSavingsUsd);
        return new SavingsReport(
            TotalRequests: days.Sum(d => d.Requests),
            CheapModelShare: upstream == 0 ? 0 : (double)cheap / upstream,
            ModelRoutingSavings: routingSavings,
            CacheSavings: cacheSavings,
            TotalSavings: routingSavings + cacheSavings);
    }

    public async Task<CostSnippet> SnippetAsync(string tenant, CancellationToken cancellationToken)
    {
        var today = Today();
        var days = await ledger.Store.GetDailyAsync(tenant, today, today, cancellationToken).ConfigureAwait(false);
        var budget = await ledger.Store.GetBudgetAsync(tenant, cancellationToken).ConfigureAwait(false);
        return new CostSnippet(
            TodayCost: days.Sum(d => d.CostUsd),
            TodayRequests: days.Sum(d => d.Requests),
            DailyLimitUsd: budget?.DailyLimitUsd ?? 0);
    }

    /// <summary>Rules over the last 30 days; each recommendation carries the numbers it is based on.</summary>
    public async Task<IReadOnlyList<CostRecommendation>> RecommendationsAsync(string tenant, CancellationToken cancellationToken)
    {
        var days = await LastDaysAsync(tenant, cancellationToken).ConfigureAwait(false);
        var recommendations = new List<CostRecommendation>();
        var requests = days.Sum(d => d.Requests);
        var cost = days.Sum(d => d.CostUsd);
        var hits = days.Sum(d => d.CacheHits);
        if (requests == 0)
        {
            recommendations.Add(new CostRecommendation(
                Kind: "no_data",
                Title: "No metered requests in the last 30 days",
                Detail: "Send traffic through the gateway; recommendations are computed from the ledger.",
                Severity: "info"));
            return recommendations;
        }

        var hitRate = (double)hits / requests;
        if (requests >= 20 && hitRate < 0.2)
        {
            var missCost = cost / Math.Max(1, requests - hits);
            recommendations.Add(new CostRecommendation(
                Kind: "low_cache_hit_rate",
                Title: $"Cache hit rate is {hitRate:P1} over {requests} requests",
                Detail: "Repeatable prompts are cached only when deterministic: send temperature 0 or a seed, or opt in with cache ON. " +
                    $"Each cache hit saves about ${missCost:0.######} at your average cost per upstream call.",
                Severity: "medium",
                EstimatedSavingsUsd: Math.Max(0, (0.2 - hitRate) * requests * missCost)));
        }

        var byModel = days.SelectMany(d => d.ByModel).GroupBy(p => p.Key).ToDictionary(g => g.Key, g => (Cost: g.Sum(p => p.Value.CostUsd), Requests: g.Sum(p => p.Value.Requests)));
        var expensive = byModel.Where(m => !IsCheap(m.Key)).Sum(m => m.Value.Cost);
        var cheapest = registry.Models.Where(m => !m.IsEmbeddingOnly && m.OutputPricePerMillion > 0 && IsCheap(m.Id)).OrderBy(m => m.OutputPricePerMillion).FirstOrDefault();
        if (cost > 0 && expensive / cost > 0.5 && cheapest is not null)
        {
            var premiumPrices = byModel.Keys.Select(id => registry.TryGet(id, out var m) ? m.OutputPricePerMillion : 0).Where(p => p > 0).DefaultIfEmpty(cheapest.OutputPricePerMillion).Max();
            recommendations.Add(new CostRecommendation(
                Kind: "expensive_model_share",
                Title: $"{expensive / cost:P0} of spend (${expensive:0.####}) went to premium models",
                Detail: $"Let the router choose (leave model empty) or set routing.prefer_cheaper: {cheapest.Id} costs ${cheapest.OutputPricePerMillion}/M output tokens " +
                    $"vs ${premiumPrices}/M. The estimate assumes half of that traffic could move.",
                Severity: "high",
                EstimatedSavingsUsd: expensive * 0.5 * (1 - cheapest.OutputPricePerMillion / premiumPrices)));
        }

        var byOperation = days.SelectMany(d => d.CostByOperation).GroupBy(p => p.Key).Select(g => (Operation: g.Key, Cost: g.Sum(p => p.Value))).OrderByDescending(o => o.Cost).FirstOrDefault();
        if (cost > 0 && byOperation.Operation is not null)
        {
            recommendations.Add(new CostRecommendation(
                Kind: "top_cost_operation",
                Title: $"'{byOperation.Operation}' is {byOperation.Cost / cost:P0} of spend (${byOperation.Cost:0.####})",
                Detail: "Look there first for caching, shorter prompts and lower max_tokens.",
                Severity: "info"));
        }

        var budget = await ledger.Store.GetBudgetAsync(tenant, cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var spend = await ledger.Store.GetSpendAsync(tenant, now, cancellationToken).ConfigureAwait(false);
        if (budget is null || (budget.DailyLimitUsd <= 0 && budget.MonthlyLimitUsd <= 0))
        {
            recommendations.Add(new CostRecommendation(
                Kind: "no_budget",
                Title: "No budget is set",
                Detail: $"The last 30 days cost ${cost:0.####}. Set daily and monthly limits (POST /api/cost/budget) so a runaway client is stopped before the bill.",
                Severity: "medium"));
        }
        else if (budget.MonthlyLimitUsd > 0)
        {
            var daysInMonth = DateTime.DaysInMonth(now.Year, now.Month);
            var projected = spend.MonthlySpentUsd / now.UtcDateTime.Day * daysInMonth;
            if (projected > budget.MonthlyLimitUsd)
            {
                recommendations.Add(new CostRecommendation(
                    Kind: "budget_pressure",
                    Title: $"This month is on course for ${projected:0.##} against a ${budget.MonthlyLimitUsd:0.##} budget",
                    Detail: $"Spent ${spend.MonthlySpentUsd:0.####} in {now.UtcDateTime.Day} days; at this rate requests will be refused before month end.",
                    Severity: "high",
                    EstimatedSavingsUsd: projected - budget.MonthlyLimitUsd));
            }
        }
        return recommendations;
    }

    private bool IsCheap(string model) =>
        !registry.TryGet(model, out var definition) || definition.OutputPricePerMillion <= options.Value.CheapModelMaxOutputPrice;

    private Task<IReadOnlyList<DailyAggregate>> LastDaysAsync(string tenant, CancellationToken cancellationToken)
    {
        var today = Today();
        return ledger.Store.GetDailyAsync(tenant, today.AddDays(1 - DefaultDays), today, cancellationToken).AsTask();
    }

    private DateOnly Today() => DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);

    private static double Percent(double spent, double limit) => limit > 0 ? spent * 100 / limit : 0;

    private static DateOnly? ParseDate(string field, string value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }
        if (DateOnly.TryParseExact(value.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            return day;
        }
        if (DateTimeOffset.TryParse(value.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
        {
            return DateOnly.FromDateTime(at.UtcDateTime);
        }
        GatewayErrors.ThrowInvalidArgument(field, $"'{(value.Length > 40 ? value[..40] : value)}' is not a date (yyyy-MM-dd)");
        return null;
    }
}

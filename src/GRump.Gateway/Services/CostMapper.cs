using System.Globalization;
using GRump.Gateway.Cost;

namespace GRump.Gateway.Services;

/// <summary>
/// Core's cost reports (<see cref="CostReports"/>) in the contract's shapes, for CostService over gRPC and REST.
/// Dates leave as UTC days, <c>yyyy-MM-dd</c>.
/// </summary>
internal static class CostMapper
{
    public static V1.GetSummaryResponse ToProto(CostSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var response = new V1.GetSummaryResponse
        {
            UserId = summary.Tenant,
            StartDate = Format(summary.Start),
            EndDate = Format(summary.End),
            TotalCost = summary.TotalCost,
            TotalRequests = summary.TotalRequests,
            CacheHitRate = summary.CacheHitRate,
            CacheSavings = summary.CacheSavings,
            ModelRoutingSavings = summary.ModelRoutingSavings,
            TotalSavings = summary.TotalSavings,
            Tokens = new V1.TokenBreakdown
            {
                InputTokens = summary.Tokens.Input,
                OutputTokens = summary.Tokens.Output,
                CacheReadTokens = summary.Tokens.CacheRead,
                CacheWriteTokens = summary.Tokens.CacheWrite,
                CacheWrite1HTokens = summary.Tokens.CacheWrite1h,
                ReasoningTokens = summary.Tokens.Reasoning,
            },
        };
        foreach (var (model, cost) in summary.CostByModel)
        {
            response.CostByModel[model] = cost;
        }

        foreach (var (operation, cost) in summary.CostByOperation)
        {
            response.CostByOperation[operation] = cost;
        }

        foreach (var (provider, cost) in summary.CostByProvider)
        {
            response.CostByProvider[provider] = cost;
        }

        foreach (var day in summary.CostByDay)
        {
            response.CostByDay.Add(new V1.DailyCost { Date = Format(day.Day), Cost = day.Cost, Requests = day.Requests });
        }

        return response;
    }

    public static V1.Budget ToBudget(BudgetReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return new V1.Budget
        {
            UserId = report.Tenant,
            DailyLimitUsd = report.Limits.DailyLimitUsd,
            MonthlyLimitUsd = report.Limits.MonthlyLimitUsd,
            AlertThresholdPercent = report.Limits.AlertThresholdPercent,
            DailyCapUsd = report.Limits.DailyCapUsd,
            MonthlyCapUsd = report.Limits.MonthlyCapUsd,
        };
    }

    public static V1.BudgetStatus ToStatus(BudgetReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return new V1.BudgetStatus
        {
            DailySpentUsd = report.DailySpentUsd,
            MonthlySpentUsd = report.MonthlySpentUsd,
            ReservedUsd = report.ReservedUsd,
            DailyPercent = report.DailyPercent,
            MonthlyPercent = report.MonthlyPercent,
            Alert = report.Alert,
            Exhausted = report.Exhausted,
        };
    }

    public static V1.GetRecommendationsResponse ToProto(IReadOnlyList<CostRecommendation> recommendations)
    {
        ArgumentNullException.ThrowIfNull(recommendations);
        var response = new V1.GetRecommendationsResponse();
        foreach (var recommendation in recommendations)
        {
            response.Recommendations.Add(new V1.Recommendation
            {
                Kind = recommendation.Kind,
                Title = recommendation.Title,
                Detail = recommendation.Detail,
                EstimatedSavingsUsd = recommendation.EstimatedSavingsUsd,
                Severity = recommendation.Severity,
            });
        }

        return response;
    }

    public static V1.GetRealtimeResponse ToProto(RealtimeCost realtime)
    {
        ArgumentNullException.ThrowIfNull(realtime);
        var response = new V1.GetRealtimeResponse
        {
            LastHourCost = realtime.LastHourCost,
            LastHourRequests = realtime.LastHourRequests,
            Last24HCost = realtime.Last24HoursCost,
            Last24HRequests = realtime.Last24HoursRequests,
            CurrentRateUsdPerHour = realtime.CurrentRateUsdPerHour,
        };
        foreach (var hour in realtime.CostByHour)
        {
            response.CostByHour.Add(new V1.HourlyCost
            {
                Hour = hour.Hour.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
                Cost = hour.CostUsd,
                Requests = hour.Requests,
            });
        }

        return response;
    }

    public static V1.GetSavingsResponse ToProto(SavingsReport savings)
    {
        ArgumentNullException.ThrowIfNull(savings);
        return new V1.GetSavingsResponse
        {
            TotalRequests = savings.TotalRequests,
            CheapModelShare = savings.CheapModelShare,
            ModelRoutingSavings = savings.ModelRoutingSavings,
            CacheSavings = savings.CacheSavings,
            TotalSavings = savings.TotalSavings,
        };
    }

    public static V1.GetSnippetResponse ToProto(CostSnippet snippet)
    {
        ArgumentNullException.ThrowIfNull(snippet);
        return new V1.GetSnippetResponse
        {
            TodayCost = snippet.TodayCost,
            TodayRequests = snippet.TodayRequests,
            DailyLimitUsd = snippet.DailyLimitUsd,
        };
    }

    private static string Format(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}

using GRump.Gateway.Cost;
using GRump.Gateway.Services;

namespace GRump.Gateway.Tests.Services;

public sealed class CostMapperTests
{
    [Fact]
    public void ToProto_Summary_CopiesTotalsMapsAndDaysAsUtcDates()
    {
        // Arrange
        var summary = new CostSummary(
            Tenant: "acme",
            Start: new DateOnly(2026, 1, 30),
            End: new DateOnly(2026, 2, 1),
            TotalCost: 1.5,
            TotalRequests: 7,
            CacheHitRate: 2.0 / 7,
            CacheSavings: 0.25,
            ModelRoutingSavings: 0.5,
            TotalSavings: 0.75,
            CostByModel: new Dictionary<string, double> { ["m1"] = 1.0, ["m2"] = 0.5 },
            CostByOperation: new Dictionary<string, double> { ["chat"] = 1.5 },
            CostByProvider: new Dictionary<string, double> { ["nim"] = 1.5 },
            CostByDay: [new DailyCost(new DateOnly(2026, 1, 30), 1.0, 4), new DailyCost(new DateOnly(2026, 2, 1), 0.5, 3)]);

        // Act
        var response = CostMapper.ToProto(summary);

        // Assert
        Assert.Equal(("acme", "2026-01-30", "2026-02-01"), (response.UserId, response.StartDate, response.EndDate));
        Assert.Equal((1.5, 7L, 2.0 / 7), (response.TotalCost, response.TotalRequests, response.CacheHitRate));
        Assert.Equal((0.25, 0.5, 0.75), (response.CacheSavings, response.ModelRoutingSavings, response.TotalSavings));
        Assert.Equal(["m1", "m2"], response.CostByModel.Keys);
        Assert.Equal(0.5, response.CostByModel["m2"]);
        Assert.Equal(1.5, response.CostByOperation["chat"]);
        Assert.Equal(1.5, response.CostByProvider["nim"]);
        Assert.Equal([("2026-01-30", 1.0, 4L), ("2026-02-01", 0.5, 3L)], response.CostByDay.Select(d => (d.Date, d.Cost, d.Requests)));
    }

    [Fact]
    public void ToBudgetAndStatus_SplitTheReport()
    {
        // Arrange
        var report = new BudgetReport("acme", new BudgetSettings(10, 200, 80), DailySpentUsd: 9, MonthlySpentUsd: 20, ReservedUsd: 0.5,
            DailyPercent: 90, MonthlyPercent: 10, Alert: true, Exhausted: false);

        // Act
        var budget = CostMapper.ToBudget(report);
        var status = CostMapper.ToStatus(report);

        // Assert
        Assert.Equal(("acme", 10.0, 200.0, 80.0), (budget.UserId, budget.DailyLimitUsd, budget.MonthlyLimitUsd, budget.AlertThresholdPercent));
        Assert.Equal((9.0, 20.0, 0.5, 90.0, 10.0, true, false),
            (status.DailySpentUsd, status.MonthlySpentUsd, status.ReservedUsd, status.DailyPercent, status.MonthlyPercent, status.Alert, status.Exhausted));
    }

    [Fact]
    public void ToProto_SmallReports_CopyEveryField()
    {
        // Act
        var recommendations = CostMapper.ToProto([new CostRecommendation("no_budget", "No budget is set", "Set one.", "medium", 3.5)]);
        var realtime = CostMapper.ToProto(new RealtimeCost(1, 2, 3, 4, 5, [new HourlyAggregate(new DateTimeOffset(2026, 2, 1, 13, 0, 0, TimeSpan.Zero), 0.25, 3)]));
        var savings = CostMapper.ToProto(new SavingsReport(10, 0.6, 1.25, 0.75, 2.0));
        var snippet = CostMapper.ToProto(new CostSnippet(0.4, 12, 10));

        // Assert
        var recommendation = Assert.Single(recommendations.Recommendations);
        Assert.Equal(("no_budget", "No budget is set", "Set one.", "medium", 3.5),
            (recommendation.Kind, recommendation.Title, recommendation.Detail, recommendation.Severity, recommendation.EstimatedSavingsUsd));
        Assert.Equal((1.0, 2L, 3.0, 4L, 5.0), (realtime.LastHourCost, realtime.LastHourRequests, realtime.Last24HCost, realtime.Last24HRequests, realtime.CurrentRateUsdPerHour));
        Assert.Equal([("2026-02-01T13:00:00Z", 0.25, 3L)], realtime.CostByHour.Select(h => (h.Hour, h.Cost, h.Requests)));
        Assert.Equal((10L, 0.6, 1.25, 0.75, 2.0), (savings.TotalRequests, savings.CheapModelShare, savings.ModelRoutingSavings, savings.CacheSavings, savings.TotalSavings));
        Assert.Equal((0.4, 12L, 10.0), (snippet.TodayCost, snippet.TodayRequests, snippet.DailyLimitUsd));
    }
}

using GRump.LoadTests.Reports;
using GRump.LoadTests.Thresholds;

namespace GRump.Gateway.Tests.LoadTests;

public sealed class ThresholdTests
{
    private static readonly string[] Rules = ["p99<995ms", "p99<900ms", "errors<0.1%", "errors<=2", "errors<1%", "rps>10", "other:p99<1ms"];

    [Theory]
    [InlineData("p99<50ms", null, "Latency", 99, "<", 50)]
    [InlineData("p99.9 <= 2s", null, "Latency", 99.9, "<=", 2000)]
    [InlineData("p50<250us", null, "Latency", 50, "<", 0.25)]
    [InlineData("max<1.5", null, "Latency", 100, "<", 1.5)]
    [InlineData("errors<0.1%", null, "ErrorRate", 0, "<", 0.1)]
    [InlineData("errors<=3", null, "ErrorCount", 0, "<=", 3)]
    [InlineData("rps>1000/s", null, "Rps", 0, ">", 1000)]
    [InlineData("chat-grpc:p99<5ms", "chat-grpc", "Latency", 99, "<", 5)]
    public void TryParse_ValidRule_ReadsMetricOperatorAndLimit(string text, string? scenario, string metricName, double percentile, string op, double limitMs)
    {
        // Arrange
        var metric = Enum.Parse<ThresholdMetric>(metricName);

        // Act
        var ok = Threshold.TryParse(text, out var threshold, out var error);

        // Assert
        Assert.True(ok, error);
        Assert.Equal(scenario, threshold!.Scenario);
        Assert.Equal(metric, threshold.Metric);
        if (metric == ThresholdMetric.Latency)
        {
            Assert.Equal(percentile, threshold.Percentile);
        }

        Assert.Equal(op, threshold.Operator);
        Assert.Equal(limitMs, threshold.Limit, 9);
    }

    [Theory]
    [InlineData("p99")]
    [InlineData("p99<fast")]
    [InlineData("latency<5ms")]
    [InlineData("p0<5ms")]
    [InlineData("errors<-1%")]
    public void TryParse_Malformed_FailsWithMessage(string text)
    {
        // Act
        var ok = Threshold.TryParse(text, out _, out var error);

        // Assert
        Assert.False(ok);
        Assert.Contains(text, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_LatencyAndErrorRules_JudgeTheResult()
    {
        // Arrange: 1,000 calls of 1..1000 ms, 2 of them failed.
        var result = ReportTests.Result("s", Enumerable.Range(1, 1000).Select(ms => TimeSpan.FromMilliseconds(ms)), failures: 2);

        // Act
        var outcomes = Rules.Select(t => (Rule: t, Passed: Parse(t).AppliesTo("s") ? Parse(t).Evaluate(result).Passed : (bool?)null))
            .ToDictionary(x => x.Rule, x => x.Passed);

        // Assert
        Assert.True(outcomes["p99<995ms"]);
        Assert.False(outcomes["p99<900ms"]);
        Assert.False(outcomes["errors<0.1%"]);
        Assert.True(outcomes["errors<=2"]);
        Assert.True(outcomes["errors<1%"]);
        Assert.True(outcomes["rps>10"]);
        Assert.Null(outcomes["other:p99<1ms"]);
    }

    [Fact]
    public void Evaluate_NoCalls_Fails()
    {
        // Arrange
        var empty = ReportTests.Result("s", [], failures: 0);

        // Act
        var outcome = Parse("errors<100%").Evaluate(empty);

        // Assert
        Assert.False(outcome.Passed);
        Assert.Null(outcome.Actual);
    }

    [Fact]
    public void RunReport_RuleForScenarioThatDidNotRun_Fails()
    {
        // Arrange
        var result = ReportTests.Result("ran", [TimeSpan.FromMilliseconds(1)], failures: 0);

        // Act
        var report = RunReport.Create([result], [Parse("typo:p99<1s")], ReportTests.Info);

        // Assert
        Assert.False(report.Passed);
    }

    private static Threshold Parse(string text) => Threshold.TryParse(text, out var t, out var error) ? t : throw new InvalidOperationException(error);
}

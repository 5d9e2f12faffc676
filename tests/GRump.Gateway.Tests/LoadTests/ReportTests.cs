using GRump.LoadTests.Load;
using GRump.LoadTests.Reports;
using GRump.LoadTests.Scenarios;

namespace GRump.Gateway.Tests.LoadTests;

public sealed class ReportTests
{
    internal static readonly RunInfo Info = new("GRump.LoadTests --scenario test", new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero), "2 cores (test)", "test");

    /// <summary>A result with the given latencies, the first <paramref name="failures"/> of them failed, over one second.</summary>
    internal static ScenarioResult Result(string name, IEnumerable<TimeSpan> latencies, int failures, double? serverCpuMicrosPerCall = null)
    {
        var recorder = new ScenarioRecorder(TimeSpan.FromSeconds(1));
        var i = 0;
        foreach (var latency in latencies)
        {
            recorder.Record(TimeSpan.FromMilliseconds(i), latency, i < failures ? StepResult.Failed("Unavailable") : StepResult.Ok(100));
            i++;
        }

        return new ScenarioResult
        {
            Name = name,
            Description = "a test scenario",
            Load = "c=1",
            Server = "gateway",
            Elapsed = TimeSpan.FromSeconds(1),
            Histogram = recorder.Latency.Copy(),
            Statuses = recorder.Statuses,
            Bytes = recorder.Bytes,
            Timeline = recorder.Timeline(),
            ClientCpu = TimeSpan.FromMilliseconds(10),
            ServerCpu = serverCpuMicrosPerCall is { } us ? TimeSpan.FromMicroseconds(us * i) : null,
        };
    }

    [Fact]
    public void ScenarioResult_UniformLatencies_PercentilesWithinHistogramPrecision()
    {
        // Arrange / Act: 10,000 calls of 1..10,000 µs.
        var result = Result("s", Enumerable.Range(1, 10_000).Select(us => TimeSpan.FromMicroseconds(us)), failures: 0);

        // Assert (HdrHistogram with 3 significant digits: within 0.1 %)
        Assert.Equal(10_000, result.Calls);
        Assert.Equal(5.0, result.LatencyMs(50), 0.01);
        Assert.Equal(7.5, result.LatencyMs(75), 0.01);
        Assert.Equal(9.0, result.LatencyMs(90), 0.01);
        Assert.Equal(9.9, result.LatencyMs(99), 0.01);
        Assert.Equal(9.99, result.LatencyMs(99.9), 0.01);
        Assert.Equal(10.0, result.MaxMs, 0.01);
        Assert.Equal(10_000, result.Rps, 6);
        Assert.Equal(0, result.Errors);
    }

    [Fact]
    public void Reports_TwoScenarios_MarkdownCsvAndSelfContainedHtml()
    {
        // Arrange
        var direct = Result(BuiltInScenarios.ChatDirect, Enumerable.Repeat(TimeSpan.FromMilliseconds(1), 100), failures: 0, serverCpuMicrosPerCall: 50);
        var gateway = Result(BuiltInScenarios.ChatGrpc, Enumerable.Repeat(TimeSpan.FromMilliseconds(1.5), 100), failures: 3, serverCpuMicrosPerCall: 150);
        var report = RunReport.Create([direct, gateway], [], Info);

        // Act
        var console = TextReports.Console(report);
        var markdown = TextReports.Markdown(report);
        var csv = TextReports.Csv(report);
        var html = HtmlReport.Render(report);

        // Assert
        var comparison = Assert.Single(report.Comparisons);
        Assert.Equal(0.5, comparison.AddedP50Ms, 0.01);
        Assert.Equal(3.0, comparison.ServerCpuRatio!.Value, 0.01);
        Assert.Contains("chat-grpc vs chat-direct", console, StringComparison.Ordinal);
        Assert.Contains("| chat-grpc | c=1 | 100 |", markdown, StringComparison.Ordinal);
        Assert.Contains("Unavailable×3", markdown, StringComparison.Ordinal);
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("scenario,load,server,seconds,calls,errors,rps,p50_ms", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("chat-grpc,c=1,gateway,1,100,3,100,1.5", lines[2], StringComparison.Ordinal);
        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.Equal(1 + 2, CountOf(html, "<svg ")); // the percentile chart and one timeline per scenario
        Assert.Contains("<polyline", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.Ordinal);
        Assert.DoesNotContain("src=", html, StringComparison.Ordinal);
        Assert.DoesNotContain("href=", html, StringComparison.Ordinal);
    }

    [Fact]
    public void HtmlReport_ScenarioWithoutCalls_RendersNoData()
    {
        // Arrange
        var report = RunReport.Create([Result("empty", [], failures: 0)], [], Info);

        // Act
        var html = HtmlReport.Render(report);

        // Assert
        Assert.Contains("no data", html, StringComparison.Ordinal);
    }

    private static int CountOf(string text, string part)
    {
        var count = 0;
        for (var i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + 1, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}

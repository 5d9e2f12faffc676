using System.Globalization;
using System.Net;
using System.Text;
using HdrHistogram;

namespace GRump.LoadTests.Reports;

/// <summary>
/// One self-contained HTML page (inline CSS and SVG, no script, no external resource: it opens offline): the tables of
/// the Markdown report, a percentile distribution chart of all scenarios, and latency over time per scenario.
/// </summary>
internal static class HtmlReport
{
    private static readonly string[] Palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31"];

    /// <summary>Percentiles on the distribution chart's x axis (evenly spaced, i.e. a log scale of 1/(1 − p)).</summary>
    private static readonly double[] DistributionPercentiles = [0, 50, 75, 90, 95, 99, 99.5, 99.9, 99.99, 100];

    public static string Render(RunReport report)
    {
        var html = new StringBuilder();
        html.AppendLine("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>GRump load test report</title><style>");
        html.AppendLine("body{font:14px system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse;margin:8px 0 20px}"
            + "th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}th:first-child,td:first-child,td:nth-child(2){text-align:left}"
            + "th{background:#f3f3f3}.fail{color:#b00;font-weight:bold}.pass{color:#070}svg{background:#fff;border:1px solid #ddd;margin:4px}"
            + ".charts{display:flex;flex-wrap:wrap}.muted{color:#666}");
        html.AppendLine("</style></head><body>");
        html.AppendLine("<h1>GRump load test report</h1>");
        html.AppendLine(CultureInfo.InvariantCulture, $"<p><code>{E(report.Info.CommandLine)}</code><br>{E(report.Info.Machine)}<br>started {report.Info.StartedAt:yyyy-MM-dd HH:mm:ss} UTC; {E(report.Info.Mode)}</p>");
        html.AppendLine(CultureInfo.InvariantCulture, $"<p class=\"{(report.Passed ? "pass" : "fail")}\">{(report.Passed ? "All thresholds passed." : "Thresholds breached.")}</p>");

        Table(html, ["scenario", "load", "calls", "rps", "p50 ms", "p75 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", "errors", "bytes/call", "client CPU µs/call", "server CPU µs/call", "gateway alloc B/call"],
            TextReports.Rows(report));
        if (report.Comparisons.Count > 0)
        {
            html.AppendLine("<h2>Same-run comparisons</h2>");
            Table(html, ["comparison", "added p50 ms", "added p99 ms", "RPS ratio", "server CPU/call ratio"], TextReports.ComparisonRows(report));
        }

        if (report.Thresholds.Count > 0)
        {
            html.AppendLine("<h2>Thresholds</h2><ul>");
            foreach (var t in report.Thresholds)
            {
                html.AppendLine(CultureInfo.InvariantCulture, $"<li class=\"{(t.Passed ? "pass" : "fail")}\">{E(t.Describe())}</li>");
            }

            html.AppendLine("</ul>");
        }

        html.AppendLine("<h2>Latency by percentile</h2><p class=\"muted\">log scale; x evenly spaced in 1/(1−p)</p>");
        html.AppendLine(DistributionChart(report.Results));
        html.AppendLine("<h2>Latency over time</h2><p class=\"muted\">per second of the measured run: p50, p99 and max (ms, log scale); calls per second in the title</p><div class=\"charts\">");
        for (var i = 0; i < report.Results.Count; i++)
        {
            html.AppendLine(TimelineChart(report.Results[i]));
        }

        html.AppendLine("</div><h2>Scenarios</h2><ul>");
        foreach (var r in report.Results)
        {
            html.AppendLine(CultureInfo.InvariantCulture, $"<li><b>{E(r.Name)}</b> ({E(r.Load)}): {E(r.Description)}{(r.Errors > 0 ? " — errors: " + E(r.ErrorSummary) : "")}</li>");
        }

        html.AppendLine("</ul></body></html>");
        return html.ToString();
    }

    private static void Table(StringBuilder html, string[] header, IEnumerable<string[]> rows)
    {
        html.Append("<table><tr>");
        foreach (var h in header)
        {
            html.Append("<th>").Append(E(h)).Append("</th>");
        }

        html.AppendLine("</tr>");
        foreach (var row in rows)
        {
            html.Append("<tr>");
            foreach (var cell in row)
            {
                html.Append("<td>").Append(E(cell)).Append("</td>");
            }

            html.AppendLine("</tr>");
        }

        html.AppendLine("</table>");
    }

    private static string DistributionChart(IReadOnlyList<ScenarioResult> results)
    {
        var series = new List<Series>();
        for (var i = 0; i < results.Count; i++)
        {
            var r = results[i];
            if (r.Calls == 0)
            {
                continue;
            }

            var points = DistributionPercentiles.Select((p, x) => (X: (double)x, Y: At(r.Histogram, p) / 1000d)).ToList();
            series.Add(new Series(r.Name, Palette[i % Palette.Length], points));
        }

        var labels = DistributionPercentiles.Select((p, x) => ((double)x, p.ToString("0.##", CultureInfo.InvariantCulture))).ToList();
        return Svg.LineChart("latency (ms) by percentile", 900, 420, series, labels, legend: true);
    }

    private static string TimelineChart(ScenarioResult r)
    {
        var t = r.Timeline;
        var series = new List<Series>
        {
            new("p50", Palette[0], [.. t.Select(p => ((double)p.Second, p.P50Micros / 1000d))]),
            new("p99", Palette[1], [.. t.Select(p => ((double)p.Second, p.P99Micros / 1000d))]),
            new("max", Palette[3], [.. t.Select(p => ((double)p.Second, p.MaxMicros / 1000d))]),
        };
        var labels = t.Select(p => ((double)p.Second, p.Second.ToString(CultureInfo.InvariantCulture) + "s")).ToList();
        var rates = t.Count == 0 ? "no calls" : string.Create(CultureInfo.InvariantCulture, $"{t.Min(p => p.Calls)}–{t.Max(p => p.Calls)} calls/s");
        return Svg.LineChart($"{r.Name} ({r.Load}): {rates}", 440, 260, series, labels, legend: true);
    }

    private static long At(HistogramBase h, double percentile) => percentile >= 100 ? h.GetMaxValue() : h.GetValueAtPercentile(percentile);

    private static string E(string s) => WebUtility.HtmlEncode(s);
}

internal sealed record Series(string Name, string Color, List<(double X, double Y)> Points);

/// <summary>A minimal SVG line chart: log-scaled y (latency spans decades), labelled x positions, a legend.</summary>
internal static class Svg
{
    public static string LineChart(string title, int width, int height, IReadOnlyList<Series> series, IReadOnlyList<(double X, string Label)> xLabels, bool legend)
    {
        const int left = 60, right = 150, top = 28, bottom = 36;
        var plotW = width - left - right;
        var plotH = height - top - bottom;
        var all = series.SelectMany(s => s.Points).Where(p => p.Y > 0).ToList();
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-size=\"11\">");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left}\" y=\"16\" font-size=\"13\" font-weight=\"bold\">{WebUtility.HtmlEncode(title)}</text>");
        if (all.Count == 0)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left}\" y=\"{top + 20}\">no data</text></svg>");
            return svg.ToString();
        }

        var minX = xLabels.Count > 0 ? Math.Min(xLabels.Min(l => l.X), all.Min(p => p.X)) : all.Min(p => p.X);
        var maxX = Math.Max(xLabels.Count > 0 ? xLabels.Max(l => l.X) : minX, all.Max(p => p.X));
        var logMin = Math.Floor(Math.Log10(all.Min(p => p.Y)));
        var logMax = Math.Ceiling(Math.Log10(all.Max(p => p.Y)));
        if (logMax <= logMin)
        {
            logMax = logMin + 1;
        }

        double Px(double x) => left + (maxX > minX ? (x - minX) / (maxX - minX) * plotW : plotW / 2d);
        double Py(double y) => top + plotH - (Math.Log10(Math.Max(y, Math.Pow(10, logMin))) - logMin) / (logMax - logMin) * plotH;

        // Axes, decade grid lines and labels.
        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{left}\" y=\"{top}\" width=\"{plotW}\" height=\"{plotH}\" fill=\"none\" stroke=\"#999\"/>");
        for (var d = logMin; d <= logMax; d++)
        {
            var y = Py(Math.Pow(10, d));
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" x2=\"{left + plotW}\" y1=\"{y:0.#}\" y2=\"{y:0.#}\" stroke=\"#eee\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left - 4}\" y=\"{y + 4:0.#}\" text-anchor=\"end\">{Math.Pow(10, d).ToString("0.####", CultureInfo.InvariantCulture)}</text>");
        }

        var step = Math.Max(1, xLabels.Count / 12);
        for (var i = 0; i < xLabels.Count; i += step)
        {
            var x = Px(xLabels[i].X);
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x:0.#}\" y=\"{top + plotH + 14}\" text-anchor=\"middle\">{WebUtility.HtmlEncode(xLabels[i].Label)}</text>");
        }

        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"14\" y=\"{top + plotH / 2}\" transform=\"rotate(-90 14 {top + plotH / 2})\" text-anchor=\"middle\">ms</text>");
        for (var s = 0; s < series.Count; s++)
        {
            var points = string.Join(' ', series[s].Points.Select(p => string.Create(CultureInfo.InvariantCulture, $"{Px(p.X):0.#},{Py(p.Y):0.#}")));
            svg.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{series[s].Color}\" stroke-width=\"1.6\" points=\"{points}\"><title>{WebUtility.HtmlEncode(series[s].Name)}</title></polyline>");
            if (legend)
            {
                var ly = top + 6 + s * 15;
                svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{left + plotW + 10}\" y=\"{ly}\" width=\"10\" height=\"10\" fill=\"{series[s].Color}\"/>");
                svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left + plotW + 24}\" y=\"{ly + 9}\">{WebUtility.HtmlEncode(series[s].Name)}</text>");
            }
        }

        svg.Append("</svg>");
        return svg.ToString();
    }
}

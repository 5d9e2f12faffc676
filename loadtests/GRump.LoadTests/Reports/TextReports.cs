using System.Globalization;
using System.Text;

namespace GRump.LoadTests.Reports;

/// <summary>The console table, the Markdown report and the CSV.</summary>
internal static class TextReports
{
    private static readonly string[] Columns =
        ["scenario", "load", "calls", "rps", "p50 ms", "p75 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", "errors", "bytes/call", "client CPU µs/call", "server CPU µs/call", "gateway alloc B/call"];

    public static IEnumerable<string[]> Rows(RunReport report) => report.Results.Select(r => new[]
    {
        r.Name, r.Load, Format.Number(r.Calls), Format.Number(r.Rps),
        Format.Ms(r.LatencyMs(50)), Format.Ms(r.LatencyMs(75)), Format.Ms(r.LatencyMs(90)), Format.Ms(r.LatencyMs(99)),
        Format.Ms(r.LatencyMs(99.9)), Format.Ms(r.MaxMs),
        r.Errors == 0 ? "0" : string.Create(CultureInfo.InvariantCulture, $"{r.Errors} ({r.ErrorRatePercent:0.##} %)"),
        Format.Bytes(r.Bytes, r.Calls), Format.Micros(r.ClientCpuPerCallMicros), Format.Micros(r.ServerCpuPerCallMicros) + (r.ServerCpu is null ? "" : $" ({r.Server})"),
        r.ServerAllocatedPerCall is { } a ? Format.Number(a, "0") : "–",
    });

    public static IEnumerable<string[]> ComparisonRows(RunReport report) => report.Comparisons.Select(c => new[]
    {
        $"{c.Comparison.Subject} vs {c.Comparison.Baseline}", Format.SignedMs(c.AddedP50Ms), Format.SignedMs(c.AddedP99Ms), Format.Percent(c.RpsRatio), CpuRatio(c),
    });

    private static string CpuRatio(ComparisonResult c) => c.ServerCpuRatio is { } r ? Format.Number(r, "0.00") + "×" : "–";

    private static readonly string[] ComparisonColumns = ["same-run comparison", "added p50 ms", "added p99 ms", "RPS ratio", "server CPU/call ratio"];

    public static string Console(RunReport report)
    {
        var text = new StringBuilder();
        AppendAligned(text, Columns, Rows(report).ToList());
        if (report.Comparisons.Count > 0)
        {
            text.AppendLine();
            AppendAligned(text, ComparisonColumns, ComparisonRows(report).ToList());
        }

        if (report.Thresholds.Count > 0)
        {
            text.AppendLine();
            foreach (var outcome in report.Thresholds)
            {
                text.AppendLine(outcome.Describe());
            }
        }

        return text.ToString();
    }

    public static string Markdown(RunReport report)
    {
        var md = new StringBuilder();
        md.AppendLine("# GRump load test report").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"- command: `{report.Info.CommandLine}`");
        md.AppendLine(CultureInfo.InvariantCulture, $"- started: {report.Info.StartedAt:yyyy-MM-dd HH:mm:ss} UTC; {report.Info.Mode}");
        md.AppendLine(CultureInfo.InvariantCulture, $"- machine: {report.Info.Machine}");
        md.AppendLine(CultureInfo.InvariantCulture, $"- result: {(report.Passed ? "all thresholds passed" : "THRESHOLDS BREACHED")}").AppendLine();
        md.AppendLine("Latency from each call's start (closed model) or scheduled start (open model) to its end; CPU from /proc/<pid>/stat over the measured run.").AppendLine();
        AppendTable(md, Columns, Rows(report));
        if (report.Comparisons.Count > 0)
        {
            md.AppendLine().AppendLine("## Same-run comparisons").AppendLine();
            AppendTable(md, ComparisonColumns, ComparisonRows(report));
        }

        if (report.Thresholds.Count > 0)
        {
            md.AppendLine().AppendLine("## Thresholds").AppendLine();
            foreach (var outcome in report.Thresholds)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"- {outcome.Describe()}");
            }
        }

        md.AppendLine().AppendLine("## Scenarios").AppendLine();
        foreach (var r in report.Results)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- **{r.Name}** ({r.Load}): {r.Description}{(r.Errors > 0 ? $" — errors: {r.ErrorSummary}" : "")}");
        }

        return md.ToString();
    }

    public static string Csv(RunReport report)
    {
        var csv = new StringBuilder();
        csv.AppendLine("scenario,load,server,seconds,calls,errors,rps,p50_ms,p75_ms,p90_ms,p99_ms,p99_9_ms,max_ms,mean_ms,bytes,client_cpu_us_per_call,server_cpu_us_per_call,gateway_alloc_bytes_per_call,error_statuses");
        foreach (var r in report.Results)
        {
            csv.AppendLine(string.Join(',',
                Quote(r.Name), Quote(r.Load), Quote(r.Server), N(r.Elapsed.TotalSeconds), r.Calls.ToString(CultureInfo.InvariantCulture),
                r.Errors.ToString(CultureInfo.InvariantCulture), N(r.Rps),
                N(r.LatencyMs(50)), N(r.LatencyMs(75)), N(r.LatencyMs(90)), N(r.LatencyMs(99)), N(r.LatencyMs(99.9)), N(r.MaxMs), N(r.MeanMs),
                r.Bytes.ToString(CultureInfo.InvariantCulture), r.ClientCpuPerCallMicros is { } c ? N(c) : "", r.ServerCpuPerCallMicros is { } s ? N(s) : "",
                r.ServerAllocatedPerCall is { } a ? N(a) : "", Quote(r.ErrorSummary)));
        }

        return csv.ToString();

        static string N(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
        static string Quote(string s) => s.Contains(',', StringComparison.Ordinal) || s.Contains('"', StringComparison.Ordinal)
            ? "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""
            : s;
    }

    private static void AppendTable(StringBuilder md, string[] header, IEnumerable<string[]> rows)
    {
        md.Append("| ").AppendJoin(" | ", header).AppendLine(" |");
        md.Append('|').AppendJoin("", header.Select((_, i) => i < 2 ? "---|" : "---:|")).AppendLine();
        foreach (var row in rows)
        {
            md.Append("| ").AppendJoin(" | ", row.Select(c => c.Replace("|", "\\|", StringComparison.Ordinal))).AppendLine(" |");
        }
    }

    private static void AppendAligned(StringBuilder text, string[] header, List<string[]> rows)
    {
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        Line(header);
        text.AppendJoin("  ", widths.Select(w => new string('-', w))).AppendLine();
        foreach (var row in rows)
        {
            Line(row);
        }

        void Line(string[] cells)
        {
            for (var i = 0; i < cells.Length; i++)
            {
                text.Append(i < 2 ? cells[i].PadRight(widths[i]) : cells[i].PadLeft(widths[i]));
                text.Append(i < cells.Length - 1 ? "  " : "");
            }

            text.AppendLine();
        }
    }
}

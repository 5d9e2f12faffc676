using System.Globalization;

namespace GRump.LoadTests.Fleet;

/// <summary>One scenario's verdict, its counts and its latency before and during the fault.</summary>
internal sealed class FleetScenarioResult(string name)
{
    public string Name { get; } = name;

    public bool Passed => Failures.Count == 0;

    public List<string> Failures { get; } = [];

    public List<string> Facts { get; } = [];

    public long Calls { get; set; }

    public long Errors { get; set; }

    public LatencyWindow? Baseline { get; set; }

    public LatencyWindow? DuringFault { get; set; }

    public void Check(bool condition, string failure)
    {
        if (!condition)
        {
            Failures.Add(failure);
        }
    }

    public void Fact(string fact) => Facts.Add(fact);
}

/// <summary>Calls that started within a window: count, errors, latency percentiles (ms).</summary>
internal sealed record LatencyWindow(int Calls, int Errors, double P50, double P99, double Max)
{
    public static LatencyWindow? Of(IEnumerable<CallRecord> records, long from, long to)
    {
        var inWindow = records.Where(r => r.Start >= from && r.Start < to).ToList();
        if (inWindow.Count == 0)
        {
            return null;
        }

        var ms = inWindow.Select(r => r.Milliseconds).Order().ToArray();
        return new LatencyWindow(inWindow.Count, inWindow.Count(r => !r.IsOk), Percentile(ms, 0.50), Percentile(ms, 0.99), ms[^1]);
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Calls} calls, {Errors} errors, p50 {P50:0.0} ms, p99 {P99:0.0} ms, max {Max:0.0} ms");
}

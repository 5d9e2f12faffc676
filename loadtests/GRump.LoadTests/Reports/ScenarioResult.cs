using HdrHistogram;
using GRump.LoadTests.Load;

namespace GRump.LoadTests.Reports;

/// <summary>What one scenario measured. Latency in µs in <see cref="Histogram"/>; helpers return ms.</summary>
internal sealed record ScenarioResult
{
    public static readonly double[] ReportedPercentiles = [50, 75, 90, 99, 99.9];

    public required string Name { get; init; }

    public required string Description { get; init; }

    /// <summary>e.g. <c>c=32</c> or <c>500/s</c>.</summary>
    public required string Load { get; init; }

    /// <summary>gateway, upstream, …: the process whose CPU is <see cref="ServerCpu"/>.</summary>
    public required string Server { get; init; }

    /// <summary>From the first call to the last one finished.</summary>
    public required TimeSpan Elapsed { get; init; }

    public required HistogramBase Histogram { get; init; }

    /// <summary>Calls by status, successes (<see cref="StepResult.OkStatus"/>) included.</summary>
    public required IReadOnlyDictionary<string, long> Statuses { get; init; }

    public required long Bytes { get; init; }

    public required IReadOnlyList<TimelinePoint> Timeline { get; init; }

    /// <summary>CPU time this process (the load generator) used during the measured run; null off Linux.</summary>
    public TimeSpan? ClientCpu { get; init; }

    /// <summary>CPU time the loaded server process used during the measured run; null when its pid is unknown.</summary>
    public TimeSpan? ServerCpu { get; init; }

    /// <summary>Bytes the gateway allocated on its managed heap during the measured run (from its /metrics); null when unknown.</summary>
    public long? ServerAllocatedBytes { get; init; }

    public long Calls => Histogram.TotalCount;

    public long Errors => Statuses.Where(s => s.Key != StepResult.OkStatus).Sum(s => s.Value);

    public double ErrorRatePercent => Calls == 0 ? 0 : 100d * Errors / Calls;

    public double Rps => Elapsed > TimeSpan.Zero ? Calls / Elapsed.TotalSeconds : 0;

    public double LatencyMs(double percentile) => Calls == 0 ? 0
        : (percentile >= 100 ? Histogram.GetMaxValue() : Histogram.GetValueAtPercentile(percentile)) / 1000d;

    public double MeanMs => Calls == 0 ? 0 : Histogram.GetMean() / 1000d;

    public double MaxMs => LatencyMs(100);

    /// <summary>Server CPU per call in µs.</summary>
    public double? ServerCpuPerCallMicros => ServerCpu is { } cpu && Calls > 0 ? cpu.TotalMicroseconds / Calls : null;

    /// <summary>Gateway heap allocation per call in bytes, background work included.</summary>
    public double? ServerAllocatedPerCall => ServerAllocatedBytes is { } bytes && Calls > 0 ? (double)bytes / Calls : null;

    /// <summary>Client CPU per call in µs.</summary>
    public double? ClientCpuPerCallMicros => ClientCpu is { } cpu && Calls > 0 ? cpu.TotalMicroseconds / Calls : null;

    /// <summary>Non-OK statuses, e.g. <c>Unavailable×3, HTTP 503×1</c>; empty when none.</summary>
    public string ErrorSummary => string.Join(", ", Statuses.Where(s => s.Key != StepResult.OkStatus).Select(s => $"{s.Key}×{s.Value}"));
}

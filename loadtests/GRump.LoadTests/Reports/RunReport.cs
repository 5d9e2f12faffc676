using System.Globalization;
using GRump.LoadTests.Scenarios;
using GRump.LoadTests.Thresholds;

namespace GRump.LoadTests.Reports;

/// <summary>Everything one run produced: the results, the same-run comparisons, the threshold verdicts and the setting.</summary>
internal sealed record RunReport(
    IReadOnlyList<ScenarioResult> Results,
    IReadOnlyList<ComparisonResult> Comparisons,
    IReadOnlyList<ThresholdOutcome> Thresholds,
    RunInfo Info)
{
    public bool Passed => Thresholds.All(t => t.Passed);

    public static RunReport Create(IReadOnlyList<ScenarioResult> results, IReadOnlyList<Threshold> thresholds, RunInfo info)
    {
        var byName = results.ToDictionary(r => r.Name, StringComparer.Ordinal);
        var comparisons = new List<ComparisonResult>();
        foreach (var c in BuiltInScenarios.Comparisons)
        {
            if (byName.TryGetValue(c.Subject, out var subject) && byName.TryGetValue(c.Baseline, out var baseline)
                && subject.Calls > 0 && baseline.Calls > 0)
            {
                comparisons.Add(ComparisonResult.Of(c, subject, baseline));
            }
        }

        var outcomes = results.SelectMany(r => thresholds.Where(t => t.AppliesTo(r.Name)).Select(t => t.Evaluate(r))).ToList();
        // A rule for a scenario that did not run is a mistake on the command line, not a pass.
        foreach (var t in thresholds.Where(t => t.Scenario is not null && !byName.ContainsKey(t.Scenario)))
        {
            outcomes.Add(new ThresholdOutcome(t, t.Scenario!, null, false));
        }

        return new RunReport(results, comparisons, outcomes, info);
    }
}

/// <summary>The machine and the command line, for the report header.</summary>
internal sealed record RunInfo(string CommandLine, DateTimeOffset StartedAt, string Machine, string Mode)
{
    public static string DescribeMachine()
    {
        var cpu = "unknown CPU";
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            if (line is not null)
            {
                cpu = line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return string.Create(CultureInfo.InvariantCulture,
            $"{Environment.ProcessorCount} cores ({cpu}), {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}");
    }
}

internal sealed record ComparisonResult(Comparison Comparison, double AddedP50Ms, double AddedP99Ms, double RpsRatio, double? ServerCpuRatio)
{
    public static ComparisonResult Of(Comparison comparison, ScenarioResult subject, ScenarioResult baseline) => new(
        comparison,
        subject.LatencyMs(50) - baseline.LatencyMs(50),
        subject.LatencyMs(99) - baseline.LatencyMs(99),
        baseline.Rps > 0 ? subject.Rps / baseline.Rps : 0,
        subject.ServerCpuPerCallMicros is { } s && baseline.ServerCpuPerCallMicros is { } b && b > 0 ? s / b : null);
}

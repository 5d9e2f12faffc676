using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using GRump.LoadTests.Reports;

namespace GRump.LoadTests.Thresholds;

internal enum ThresholdMetric
{
    Latency,
    Rps,
    ErrorRate,
    ErrorCount,
}

/// <summary>
/// A pass/fail rule on a scenario's result, e.g. <c>p99&lt;50ms</c>, <c>errors&lt;0.1%</c>, <c>errors&lt;=3</c>,
/// <c>rps&gt;1000</c>, <c>max&lt;1s</c>; prefixed with <c>scenario:</c> it applies to that scenario only, else to all.
/// Latency metrics: p50 p75 p90 p99 p99.9 max mean (units us/µs, ms, s; ms when omitted).
/// </summary>
internal sealed record Threshold(string Text, string? Scenario, ThresholdMetric Metric, double Percentile, string Operator, double Limit)
{
    private static readonly string[] Operators = ["<=", ">=", "<", ">"];

    public static bool TryParse(string text, [NotNullWhen(true)] out Threshold? threshold, [NotNullWhen(false)] out string? error)
    {
        threshold = null;
        var rule = text.Trim();
        string? scenario = null;
        var colon = rule.IndexOf(':', StringComparison.Ordinal);
        if (colon > 0)
        {
            scenario = rule[..colon].Trim();
            rule = rule[(colon + 1)..].Trim();
        }

        var opIndex = -1;
        var op = "";
        foreach (var candidate in Operators)
        {
            var i = rule.IndexOf(candidate, StringComparison.Ordinal);
            if (i > 0 && (opIndex < 0 || i < opIndex || (i == opIndex && candidate.Length > op.Length)))
            {
                opIndex = i;
                op = candidate;
            }
        }

        if (opIndex < 0)
        {
            error = $"threshold '{text}': expected <metric><op><value>, e.g. p99<50ms or errors<0.1%";
            return false;
        }

        var metricName = rule[..opIndex].Trim().ToLowerInvariant();
        var valueText = rule[(opIndex + op.Length)..].Trim().ToLowerInvariant();
        ThresholdMetric metric;
        double percentile = 0, scale = 1;
        switch (metricName)
        {
            case "rps":
                metric = ThresholdMetric.Rps;
                break;
            case "errors":
                metric = valueText.EndsWith('%') ? ThresholdMetric.ErrorRate : ThresholdMetric.ErrorCount;
                if (metric == ThresholdMetric.ErrorRate)
                {
                    valueText = valueText[..^1];
                }

                break;
            case "max":
                metric = ThresholdMetric.Latency;
                percentile = 100;
                break;
            case "mean":
                metric = ThresholdMetric.Latency;
                percentile = -1;
                break;
            case var p when p.Length > 1 && p[0] == 'p' && double.TryParse(p[1..], NumberStyles.Float, CultureInfo.InvariantCulture, out percentile)
                && percentile is > 0 and <= 100:
                metric = ThresholdMetric.Latency;
                break;
            default:
                error = $"threshold '{text}': unknown metric '{metricName}' (p50 p75 p90 p99 p99.9 max mean rps errors)";
                return false;
        }

        if (metric == ThresholdMetric.Latency)
        {
            (valueText, scale) = valueText switch
            {
                _ when valueText.EndsWith("ms", StringComparison.Ordinal) => (valueText[..^2], 1d),
                _ when valueText.EndsWith("us", StringComparison.Ordinal) || valueText.EndsWith("µs", StringComparison.Ordinal) => (valueText[..^2], 0.001),
                _ when valueText.EndsWith('s') => (valueText[..^1], 1000d),
                _ => (valueText, 1d),
            };
        }
        else if (metric == ThresholdMetric.Rps && valueText.EndsWith("/s", StringComparison.Ordinal))
        {
            valueText = valueText[..^2];
        }

        if (!double.TryParse(valueText, NumberStyles.Float, CultureInfo.InvariantCulture, out var limit) || !double.IsFinite(limit) || limit < 0)
        {
            error = $"threshold '{text}': '{valueText}' is not a non-negative number";
            return false;
        }

        threshold = new Threshold(text.Trim(), scenario, metric, percentile, op, limit * scale);
        error = null;
        return true;
    }

    public bool AppliesTo(string scenario) => Scenario is null || Scenario == scenario;

    /// <summary>The result's value for this metric (latency in ms, error rate in %), or null when it has no calls.</summary>
    public double? Measure(ScenarioResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.Calls == 0)
        {
            return null;
        }

        return Metric switch
        {
            ThresholdMetric.Rps => result.Rps,
            ThresholdMetric.ErrorCount => result.Errors,
            ThresholdMetric.ErrorRate => 100d * result.Errors / result.Calls,
            _ => Percentile < 0 ? result.MeanMs : result.LatencyMs(Percentile),
        };
    }

    public ThresholdOutcome Evaluate(ScenarioResult result)
    {
        var actual = Measure(result);
        // A scenario that made no call proves nothing: it fails every rule.
        var passed = actual is { } v && Operator switch
        {
            "<" => v < Limit,
            "<=" => v <= Limit,
            ">" => v > Limit,
            ">=" => v >= Limit,
            _ => false,
        };
        return new ThresholdOutcome(this, result.Name, actual, passed);
    }

    public string Unit => Metric switch
    {
        ThresholdMetric.Latency => "ms",
        ThresholdMetric.ErrorRate => "%",
        ThresholdMetric.Rps => "/s",
        _ => "",
    };
}

internal sealed record ThresholdOutcome(Threshold Threshold, string Scenario, double? Actual, bool Passed)
{
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{(Passed ? "pass" : "FAIL")}  {Scenario}: {Threshold.Text} (actual {(Actual is { } a ? a.ToString("0.###", CultureInfo.InvariantCulture) + Threshold.Unit : "no calls")})");
}

using System.Globalization;
using GRump.Gateway.V1;

namespace GRump.Cli.Output;

/// <summary>How numbers read in text output: money to the micro-dollar, tokens with separators, times in ms or s.</summary>
internal static class Format
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static string Money(double usd) =>
        "$" + (Math.Abs(usd) >= 1 ? usd.ToString("#,0.00", Invariant) : usd.ToString("0.######", Invariant));

    public static string Tokens(long count) => count.ToString("#,0", Invariant);

    public static string Duration(TimeSpan elapsed) =>
        elapsed.TotalSeconds >= 1 ? elapsed.TotalSeconds.ToString("0.00", Invariant) + " s" : elapsed.TotalMilliseconds.ToString("0", Invariant) + " ms";

    /// <summary>How old something is, coarsely: "12 s", "3 min", "2 h".</summary>
    public static string Age(TimeSpan age) =>
        age.TotalSeconds < 60 ? Math.Max(0, (int)age.TotalSeconds).ToString(Invariant) + " s"
        : age.TotalMinutes < 120 ? ((int)age.TotalMinutes).ToString(Invariant) + " min"
        : ((int)age.TotalHours).ToString(Invariant) + " h";

    public static string Percent(double ratio) => (ratio * 100).ToString("0.#", Invariant) + " %";

    public static string Number(double value) => value.ToString("0.##", Invariant);

    public static string Tier(CacheTier tier) => tier switch
    {
        CacheTier.L1 => "L1",
        CacheTier.L2 => "L2",
        CacheTier.L3 => "L3",
        _ => "MISS",
    };

    /// <summary>One line about a routed call: model and provider, tokens, cost (or what the cache saved), gateway cache tier.</summary>
    public static string Outcome(ChatOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        var usage = outcome.Usage ?? new TokenUsage();
        var cost = outcome.Cache is CacheTier.Miss or CacheTier.Unspecified
            ? Money(outcome.CostUsd)
            : $"{Money(outcome.CostUsd)} (saved {Money(outcome.CacheSavingsUsd)})";
        var routing = outcome.Routing is { } decision ? $", complexity {decision.Score}" : "";
        return $"{outcome.Model} via {outcome.Provider}{routing} · {Tokens(usage.InputTokens)} in / {Tokens(usage.OutputTokens)} out tokens"
            + $"{(usage.Estimated ? " (estimated)" : "")} · {cost} · gateway cache {Tier(outcome.Cache)}";
    }

    /// <summary>The intent in a line: features and stack, as the gateway compiled them.</summary>
    public static string Intent(Intent intent)
    {
        ArgumentNullException.ThrowIfNull(intent);
        var features = intent.Features.Count > 0 ? string.Join(", ", intent.Features) : "none found";
        var stack = intent.TechStackHints.Count > 0 ? string.Join(", ", intent.TechStackHints) : "not named";
        return $"intent: features {features}; stack {stack}";
    }
}

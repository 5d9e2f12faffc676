using System.Globalization;
using System.Runtime.CompilerServices;
using GRump.Gateway.Chat;
using GRump.Gateway.Intent;
using GRump.Gateway.Routing.Internal;

namespace GRump.Gateway.Routing;

/// <summary>
/// Scores how hard a chat request is, 0–100, from the prompt's size, the conversation, the mode, marker words of the
/// task and its compiled intent (formula and tables: docs/routing.md). Pure and allocation-light: it writes the
/// factors that added points (and always the length band) into the caller's list.
/// </summary>
public static class ComplexityAnalyzer
{
    public const string LengthFactor = "length";
    public const string MessageCountFactor = "message_count";
    public const string ModeFactor = "mode";
    public const string CombinationFactor = "combination";
    public const string IntentFactor = "intent";

    /// <summary>Points of a marker category at or above which it counts towards <see cref="CombinationFactor"/>.</summary>
    public const int CombinationThreshold = 10;

    private static readonly (int FromTokens, int Points, string Band)[] LengthBands =
    [
        (3_000, 25, "3,000 or more"),
        (1_000, 20, "1,000–2,999"),
        (300, 15, "300–999"),
        (100, 10, "100–299"),
        (30, 5, "30–99"),
        (0, 0, "under 30"),
    ];

    /// <summary>The text whose markers and intent describe the task: the last user message (else the last message).</summary>
    public static string TaskText(ChatRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var messages = request.Messages;
        for (var i = messages.Count - 1; i >= 0; i--)
        {
            if (messages[i].Role == ChatRole.User)
            {
                return messages[i].Text;
            }
        }

        return messages.Count > 0 ? messages[^1].Text : string.Empty;
    }

    /// <summary>
    /// Scores <paramref name="request"/>; <paramref name="promptTokens"/> are its input tokens (TokenCounter.CountPrompt),
    /// <paramref name="intent"/> the compiled <see cref="TaskText"/> (null = the intent factor is skipped).
    /// Adds the factors to <paramref name="factors"/> and returns the score.
    /// </summary>
    public static int Analyze(ChatRequest request, int promptTokens, ParsedIntent? intent, ICollection<ComplexityFactor> factors)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(factors);
        var total = 0d;

        var (_, lengthPoints, band) = LengthBand(promptTokens);
        factors.Add(Factor(LengthFactor, lengthPoints, string.Create(CultureInfo.InvariantCulture, $"{promptTokens} prompt tokens (band {band})")));
        total += lengthPoints;

        var turns = ConversationTurns(request);
        var turnPoints = MessageCountPoints(turns);
        if (turnPoints > 0)
        {
            factors.Add(Factor(MessageCountFactor, turnPoints, string.Create(CultureInfo.InvariantCulture, $"{turns} messages besides system")));
            total += turnPoints;
        }

        var modePoints = ModePoints(request.Mode);
        if (modePoints > 0)
        {
            factors.Add(Factor(ModeFactor, modePoints, ModeDetail(request.Mode)));
            total += modePoints;
        }

        total += AddMarkers(TaskText(request), factors);

        if (intent is not null)
        {
            var points = IntentPoints(intent);
            if (points > 0)
            {
                factors.Add(Factor(IntentFactor, points, string.Create(CultureInfo.InvariantCulture,
                    $"complexity {intent.ComplexityScore:0.00}, {intent.Features.Count} features, {intent.DependencyGraph.Count} dependencies")));
                total += points;
            }
        }

        return (int)Math.Clamp(Math.Round(total, MidpointRounding.AwayFromZero), 0, 100);
    }

    /// <summary>Length band points for the prompt's input tokens.</summary>
    public static (int FromTokens, int Points, string Band) LengthBand(int promptTokens)
    {
        foreach (var band in LengthBands)
        {
            if (promptTokens >= band.FromTokens)
            {
                return band;
            }
        }

        return LengthBands[^1];
    }

    /// <summary>Messages other than system ones: 1 → 0, 2–3 → 3, 4–9 → 6, 10 or more → 10.</summary>
    public static int MessageCountPoints(int turns) => turns switch
    {
        >= 10 => 10,
        >= 4 => 6,
        >= 2 => 3,
        _ => 0,
    };

    /// <summary>chat/unspecified 0, code 10, spec 20, plan 25, architecture 45, ship 50.</summary>
    public static int ModePoints(ChatMode mode) => mode switch
    {
        ChatMode.Code => 10,
        ChatMode.Spec => 20,
        ChatMode.Plan => 25,
        ChatMode.Architecture => 45,
        ChatMode.Ship => 50,
        _ => 0,
    };

    /// <summary>15 × the intent's complexity (0..1) + min(6, 1.5 × features) + min(4, 2 × dependency edges), one decimal.</summary>
    public static double IntentPoints(ParsedIntent intent)
    {
        ArgumentNullException.ThrowIfNull(intent);
        var points = 15d * Math.Clamp(intent.ComplexityScore, 0f, 1f)
            + Math.Min(6d, 1.5 * intent.Features.Count)
            + Math.Min(4d, 2d * intent.DependencyGraph.Count);
        return Math.Round(points, 1, MidpointRounding.AwayFromZero);
    }

    private static int ConversationTurns(ChatRequest request)
    {
        var turns = 0;
        foreach (var message in request.Messages)
        {
            if (message.Role != ChatRole.System)
            {
                turns++;
            }
        }

        return turns;
    }

    private static string ModeDetail(ChatMode mode) => mode switch
    {
        ChatMode.Code => "mode code",
        ChatMode.Spec => "mode spec",
        ChatMode.Plan => "mode plan",
        ChatMode.Architecture => "mode architecture",
        ChatMode.Ship => "mode ship",
        _ => "mode chat",
    };

    private static double AddMarkers(string text, ICollection<ComplexityFactor> factors)
    {
        var table = MarkerTable.Default;
        Span<bool> matched = table.Count <= 512 ? stackalloc bool[table.Count] : new bool[table.Count];
        matched.Clear();
        table.Match(text, matched);

        Span<int> points = stackalloc int[MarkerTable.CategoryCount];
        Span<int> hits = stackalloc int[MarkerTable.CategoryCount];
        for (var i = 0; i < matched.Length; i++)
        {
            if (matched[i])
            {
                var marker = table[i];
                points[(int)marker.Category] += marker.Points;
                hits[(int)marker.Category]++;
            }
        }

        var total = 0d;
        var strong = 0;
        for (var category = 0; category < MarkerTable.CategoryCount; category++)
        {
            if (hits[category] == 0)
            {
                continue;
            }

            var capped = Math.Min(points[category], MarkerTable.Caps[category]);
            factors.Add(Factor(MarkerTable.CategoryNames[category], capped, MarkerDetail(table, matched, (MarkerCategory)category, points[category])));
            total += capped;
            if (category != (int)MarkerCategory.Creativity && capped >= CombinationThreshold)
            {
                strong++;
            }
        }

        // Work of several kinds at once (design + code, code across many places) is harder than the sum of its words.
        if (strong >= 2)
        {
            var combination = Math.Min(20, 10 * (strong - 1));
            factors.Add(Factor(CombinationFactor, combination, string.Create(CultureInfo.InvariantCulture, $"{strong} marker categories with {CombinationThreshold}+ points")));
            total += combination;
        }

        return total;
    }

    private static string MarkerDetail(MarkerTable table, ReadOnlySpan<bool> matched, MarkerCategory category, int uncapped)
    {
        // Up to three matched phrases, then a count: enough to explain the points without echoing the prompt.
        var handler = new DefaultInterpolatedStringHandler(0, 0, CultureInfo.InvariantCulture);
        var shown = 0;
        var more = 0;
        for (var i = 0; i < matched.Length; i++)
        {
            if (!matched[i] || table[i].Category != category)
            {
                continue;
            }

            if (shown == 3)
            {
                more++;
                continue;
            }

            if (shown > 0)
            {
                handler.AppendLiteral(", ");
            }

            handler.AppendLiteral(table[i].Phrase);
            shown++;
        }

        if (more > 0)
        {
            handler.AppendLiteral(" +");
            handler.AppendFormatted(more);
            handler.AppendLiteral(" more");
        }

        var cap = MarkerTable.Caps[(int)category];
        if (uncapped > cap)
        {
            handler.AppendLiteral(" (");
            handler.AppendFormatted(uncapped);
            handler.AppendLiteral(", capped at ");
            handler.AppendFormatted(cap);
            handler.AppendLiteral(")");
        }

        return handler.ToStringAndClear();
    }

    private static ComplexityFactor Factor(string name, double points, string detail) => new(name, points, detail);
}

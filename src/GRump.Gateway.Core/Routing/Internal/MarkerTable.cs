using System.Buffers;
using System.Collections.Frozen;

namespace GRump.Gateway.Routing.Internal;

/// <summary>The marker categories of the complexity score (docs/routing.md, "Markers").</summary>
internal enum MarkerCategory
{
    Reasoning,
    Code,
    MultiStep,
    Accuracy,
    Creativity,
}

/// <summary>One marker: a word or phrase (words separated by single spaces), its category and its points.</summary>
internal readonly record struct Marker(string Phrase, MarkerCategory Category, int Points);

/// <summary>
/// Word-bounded, case-insensitive marker matching without regex: the text is split into runs of letters and digits,
/// each run is looked up (by span) among the markers' first words, and a phrase matches when its further words
/// follow, separated by anything that is not a letter or digit ("trade-off", "trade off" and "trade off" are one
/// phrase). Each marker counts once however often it appears. Linear in the text.
/// </summary>
internal sealed class MarkerTable
{
    public const int CategoryCount = 5;

    /// <summary>Most points one category can add, by <see cref="MarkerCategory"/>.</summary>
    public static readonly int[] Caps = [50, 30, 35, 20, 12];

    public static readonly string[] CategoryNames = ["reasoning", "code", "multi_step", "accuracy", "creativity"];

    // ASCII letters: every marker starts with one; a word is then the whole run of letters and digits around it.
    private static readonly SearchValues<char> AsciiLetters =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");

    private readonly Marker[] _markers;
    private readonly string[][] _words;
    private readonly FrozenDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _byFirstWord;
    private readonly int _minFirstWord;
    private readonly int _maxFirstWord;

    public MarkerTable(IReadOnlyList<Marker> markers)
    {
        ArgumentNullException.ThrowIfNull(markers);
        _markers = [.. markers];
        _words = new string[_markers.Length][];
        var byFirst = new Dictionary<string, List<int>>(StringComparer.OrdinalIgnoreCase);
        _minFirstWord = int.MaxValue;
        for (var i = 0; i < _markers.Length; i++)
        {
            var words = _markers[i].Phrase.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            _words[i] = words;
            if (!byFirst.TryGetValue(words[0], out var list))
            {
                byFirst[words[0]] = list = [];
            }

            list.Add(i);
            _minFirstWord = Math.Min(_minFirstWord, words[0].Length);
            _maxFirstWord = Math.Max(_maxFirstWord, words[0].Length);
        }

        _byFirstWord = byFirst.ToFrozenDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.OrdinalIgnoreCase)
            .GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public static MarkerTable Default { get; } = new(DefaultMarkers);

    public int Count => _markers.Length;

    public Marker this[int index] => _markers[index];

    /// <summary>Sets <paramref name="matched"/>[i] for every marker i found in <paramref name="text"/>.</summary>
    public void Match(ReadOnlySpan<char> text, Span<bool> matched)
    {
        var position = 0;
        while (position < text.Length)
        {
            var next = text[position..].IndexOfAny(AsciiLetters);
            if (next < 0)
            {
                return;
            }

            var start = position + next;
            var end = WordEnd(text, start);
            position = end;
            if (start > 0 && char.IsLetterOrDigit(text[start - 1]))
            {
                // Inside a word that began with a digit or a non-ASCII letter ("2fix", "éwhy"): not a word start.
                continue;
            }

            var length = end - start;
            if (length < _minFirstWord || length > _maxFirstWord || !_byFirstWord.TryGetValue(text[start..end], out var candidates))
            {
                continue;
            }

            foreach (var index in candidates)
            {
                if (!matched[index] && FollowsWith(text, end, _words[index]))
                {
                    matched[index] = true;
                }
            }
        }
    }

    private static int WordEnd(ReadOnlySpan<char> text, int start)
    {
        var end = start;
        while (end < text.Length && char.IsLetterOrDigit(text[end]))
        {
            end++;
        }

        return end;
    }

    /// <summary>True when words 1.. of a phrase follow <paramref name="position"/>, each after at least one separator.</summary>
    private static bool FollowsWith(ReadOnlySpan<char> text, int position, string[] words)
    {
        for (var w = 1; w < words.Length; w++)
        {
            var start = position;
            while (start < text.Length && !char.IsLetterOrDigit(text[start]))
            {
                start++;
            }

            if (start == position)
            {
                return false;
            }

            var end = WordEnd(text, start);
            if (!text[start..end].Equals(words[w], StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }

            position = end;
        }

        return true;
    }

    // The table (docs/routing.md lists it too). Points reflect how strongly a marker signals work a cheap model does
    // worse: design and trade-offs more than "why"; "refactor" and "across" more than "function". Hyphenated forms
    // match their spaced phrase ("fault tolerant" matches "fault-tolerant").
    private static Marker[] DefaultMarkers =>
    [
        // Reasoning: analysis, design, trade-offs (cap 50).
        new("why", MarkerCategory.Reasoning, 5),
        new("explain", MarkerCategory.Reasoning, 6),
        new("analyze", MarkerCategory.Reasoning, 10),
        new("analyse", MarkerCategory.Reasoning, 10),
        new("analysis", MarkerCategory.Reasoning, 10),
        new("compare", MarkerCategory.Reasoning, 10),
        new("comparison", MarkerCategory.Reasoning, 10),
        new("evaluate", MarkerCategory.Reasoning, 8),
        new("trade off", MarkerCategory.Reasoning, 12),
        new("trade offs", MarkerCategory.Reasoning, 12),
        new("tradeoff", MarkerCategory.Reasoning, 12),
        new("tradeoffs", MarkerCategory.Reasoning, 12),
        new("pros and cons", MarkerCategory.Reasoning, 10),
        new("prove", MarkerCategory.Reasoning, 12),
        new("proof", MarkerCategory.Reasoning, 12),
        new("derive", MarkerCategory.Reasoning, 10),
        new("root cause", MarkerCategory.Reasoning, 12),
        new("diagnose", MarkerCategory.Reasoning, 8),
        new("investigate", MarkerCategory.Reasoning, 8),
        new("debug", MarkerCategory.Reasoning, 8),
        new("implications", MarkerCategory.Reasoning, 8),
        new("justify", MarkerCategory.Reasoning, 8),
        new("step by step", MarkerCategory.Reasoning, 6),
        new("think through", MarkerCategory.Reasoning, 8),
        new("design", MarkerCategory.Reasoning, 12),
        new("architecture", MarkerCategory.Reasoning, 15),
        new("architect", MarkerCategory.Reasoning, 12),
        new("system design", MarkerCategory.Reasoning, 10),
        new("scalable", MarkerCategory.Reasoning, 8),
        new("scalability", MarkerCategory.Reasoning, 8),
        new("distributed", MarkerCategory.Reasoning, 8),
        new("fault tolerant", MarkerCategory.Reasoning, 10),
        new("fault tolerance", MarkerCategory.Reasoning, 10),
        new("high availability", MarkerCategory.Reasoning, 10),
        new("consistency", MarkerCategory.Reasoning, 6),
        new("optimize", MarkerCategory.Reasoning, 6),
        new("optimise", MarkerCategory.Reasoning, 6),
        new("strategy", MarkerCategory.Reasoning, 6),
        new("how would you", MarkerCategory.Reasoning, 8),
        new("discuss", MarkerCategory.Reasoning, 6),
        new("throughput", MarkerCategory.Reasoning, 6),
        new("at scale", MarkerCategory.Reasoning, 8),
        new("per second", MarkerCategory.Reasoning, 6),
        new("data model", MarkerCategory.Reasoning, 8),
        new("versus", MarkerCategory.Reasoning, 8),
        new("vs", MarkerCategory.Reasoning, 8),
        new("conflict resolution", MarkerCategory.Reasoning, 8),
        new("consensus", MarkerCategory.Reasoning, 8),

        // Code generation and change (cap 30).
        new("implement", MarkerCategory.Code, 8),
        new("implementation", MarkerCategory.Code, 6),
        new("refactor", MarkerCategory.Code, 12),
        new("refactoring", MarkerCategory.Code, 12),
        new("rewrite", MarkerCategory.Code, 8),
        new("function", MarkerCategory.Code, 4),
        new("class", MarkerCategory.Code, 4),
        new("method", MarkerCategory.Code, 4),
        new("code", MarkerCategory.Code, 4),
        new("script", MarkerCategory.Code, 4),
        new("endpoint", MarkerCategory.Code, 5),
        new("api", MarkerCategory.Code, 4),
        new("bug", MarkerCategory.Code, 5),
        new("fix", MarkerCategory.Code, 4),
        new("unit test", MarkerCategory.Code, 6),
        new("unit tests", MarkerCategory.Code, 6),
        new("tests", MarkerCategory.Code, 4),
        new("algorithm", MarkerCategory.Code, 6),
        new("regex", MarkerCategory.Code, 4),
        new("sql", MarkerCategory.Code, 4),
        new("query", MarkerCategory.Code, 3),
        new("migrate", MarkerCategory.Code, 8),
        new("migration", MarkerCategory.Code, 8),
        new("module", MarkerCategory.Code, 5),
        new("modules", MarkerCategory.Code, 6),
        new("component", MarkerCategory.Code, 4),
        new("codebase", MarkerCategory.Code, 10),
        new("repository", MarkerCategory.Code, 4),
        new("compile", MarkerCategory.Code, 4),
        new("compiler", MarkerCategory.Code, 6),
        new("concurrency", MarkerCategory.Code, 8),
        new("race condition", MarkerCategory.Code, 10),
        new("deadlock", MarkerCategory.Code, 10),
        new("memory leak", MarkerCategory.Code, 10),
        new("stack trace", MarkerCategory.Code, 6),
        new("return", MarkerCategory.Code, 3),
        new("def", MarkerCategory.Code, 3),
        new("import", MarkerCategory.Code, 3),
        new("public", MarkerCategory.Code, 3),
        new("const", MarkerCategory.Code, 3),
        new("index", MarkerCategory.Code, 4),
        new("validation", MarkerCategory.Code, 4),

        // Multi-step and breadth of the change (cap 35).
        new("then", MarkerCategory.MultiStep, 5),
        new("after that", MarkerCategory.MultiStep, 6),
        new("first", MarkerCategory.MultiStep, 3),
        new("finally", MarkerCategory.MultiStep, 5),
        new("steps", MarkerCategory.MultiStep, 5),
        new("phases", MarkerCategory.MultiStep, 8),
        new("plan", MarkerCategory.MultiStep, 5),
        new("roadmap", MarkerCategory.MultiStep, 8),
        new("pipeline", MarkerCategory.MultiStep, 6),
        new("workflow", MarkerCategory.MultiStep, 5),
        new("end to end", MarkerCategory.MultiStep, 8),
        new("across", MarkerCategory.MultiStep, 12),
        new("multiple", MarkerCategory.MultiStep, 6),
        new("several", MarkerCategory.MultiStep, 5),
        new("multi file", MarkerCategory.MultiStep, 15),
        new("multiple files", MarkerCategory.MultiStep, 15),
        new("all files", MarkerCategory.MultiStep, 12),
        new("every file", MarkerCategory.MultiStep, 12),
        new("entire", MarkerCategory.MultiStep, 8),
        new("whole", MarkerCategory.MultiStep, 6),
        new("services", MarkerCategory.MultiStep, 6),
        new("microservices", MarkerCategory.MultiStep, 8),
        new("rollout", MarkerCategory.MultiStep, 6),
        new("downtime", MarkerCategory.MultiStep, 10),
        new("backward compatible", MarkerCategory.MultiStep, 8),
        new("backwards compatible", MarkerCategory.MultiStep, 8),
        new("as well as", MarkerCategory.MultiStep, 3),

        // Accuracy and stakes (cap 20).
        new("exact", MarkerCategory.Accuracy, 5),
        new("exactly", MarkerCategory.Accuracy, 5),
        new("precise", MarkerCategory.Accuracy, 5),
        new("accurate", MarkerCategory.Accuracy, 5),
        new("correctness", MarkerCategory.Accuracy, 6),
        new("rigorous", MarkerCategory.Accuracy, 8),
        new("production", MarkerCategory.Accuracy, 6),
        new("production ready", MarkerCategory.Accuracy, 8),
        new("security", MarkerCategory.Accuracy, 8),
        new("secure", MarkerCategory.Accuracy, 6),
        new("vulnerability", MarkerCategory.Accuracy, 10),
        new("vulnerabilities", MarkerCategory.Accuracy, 10),
        new("compliance", MarkerCategory.Accuracy, 8),
        new("gdpr", MarkerCategory.Accuracy, 8),
        new("hipaa", MarkerCategory.Accuracy, 8),
        new("legal", MarkerCategory.Accuracy, 8),
        new("medical", MarkerCategory.Accuracy, 8),
        new("financial", MarkerCategory.Accuracy, 6),
        new("critical", MarkerCategory.Accuracy, 6),
        new("guarantee", MarkerCategory.Accuracy, 6),
        new("edge cases", MarkerCategory.Accuracy, 6),
        new("thread safe", MarkerCategory.Accuracy, 8),
        new("audit", MarkerCategory.Accuracy, 5),

        // Creativity (cap 12).
        new("story", MarkerCategory.Creativity, 6),
        new("poem", MarkerCategory.Creativity, 6),
        new("haiku", MarkerCategory.Creativity, 6),
        new("lyrics", MarkerCategory.Creativity, 6),
        new("fiction", MarkerCategory.Creativity, 6),
        new("creative", MarkerCategory.Creativity, 6),
        new("brainstorm", MarkerCategory.Creativity, 6),
        new("imagine", MarkerCategory.Creativity, 4),
        new("slogan", MarkerCategory.Creativity, 5),
        new("tagline", MarkerCategory.Creativity, 5),
        new("metaphor", MarkerCategory.Creativity, 4),
    ];
}

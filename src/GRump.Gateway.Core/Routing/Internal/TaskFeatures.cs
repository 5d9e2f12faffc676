using System.Buffers;
using System.Collections.Frozen;

namespace GRump.Gateway.Routing.Internal;

/// <summary>
/// The surface features of a request for the learned routers: the heuristic's signals plus the shape of the ask (words,
/// sentences, clauses, lines, list items, questions, digits, non-Latin script, code punctuation) and the size of a pasted
/// document — microseconds, no model. Counting shape rather than words keeps it language-neutral: the heuristic's markers
/// are English, the shape of a many-part request is not. Four more read the size of the job the ask names (English only,
/// like the markers): how much output it asks for ("a 5,000-word story", "a 40-page proposal"), words that widen its scope
/// ("complete", "full", "every", "from scratch") or narrow it ("briefly", "one line", "in two sentences"), and whether it
/// opens with a verb that makes something ("write", "build", "prove") — a short ask to build a compiler and a short ask
/// to build a string differ in their object, which the sentence model reads, and in these words, which it weighs weakly.
/// </summary>
internal static class TaskFeatures
{
    public const int SurfaceCount = 12 + 10 + 4;

    private static readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> ScopeUp = FrozenSet.Create(StringComparer.Ordinal,
        "complete", "completely", "full", "fully", "entire", "entirely", "whole", "every", "all", "scratch", "exhaustive", "exhaustively",
        "rigorous", "rigorously", "comprehensive", "accurately", "accurate", "feature", "length").GetAlternateLookup<ReadOnlySpan<char>>();

    private static readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> ScopeDown = FrozenSet.Create(StringComparer.Ordinal,
        "briefly", "brief", "quick", "quickly", "simple", "tiny", "short", "shortly", "sentence", "sentences", "paragraph", "line", "lines",
        "oneliner", "one", "two", "three", "word", "only", "just").GetAlternateLookup<ReadOnlySpan<char>>();

    private static readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> MakeVerbs = FrozenSet.Create(StringComparer.Ordinal,
        "write", "build", "implement", "create", "design", "develop", "make", "port", "migrate", "rewrite", "prove", "derive", "emulate",
        "reproduce", "draft", "plan", "construct", "architect", "solve", "classify", "find", "determine").GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>Words of output per unit an ask may name ("a 40-page proposal").</summary>
    private static readonly FrozenDictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> SizeUnits = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        ["word"] = 1, ["words"] = 1, ["page"] = 300, ["pages"] = 300, ["chapter"] = 3000, ["chapters"] = 3000,
    }.ToFrozenDictionary(StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();

    private static readonly SearchValues<char> SentenceEnds = SearchValues.Create(".?!。？！");
    private static readonly SearchValues<char> ClauseMarks = SearchValues.Create(",;:，；：、");
    private static readonly SearchValues<char> CodeMarks = SearchValues.Create("{}()[];=<>_`$#/\\|");

    /// <summary>Writes the surface features of <paramref name="prompt"/> and <paramref name="signals"/> into <paramref name="features"/> (length <see cref="SurfaceCount"/>).</summary>
    public static void Surface(RoutingPrompt prompt, HeuristicSignals signals, Span<float> features)
    {
        var text = prompt.Text;
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(signals);
        if (features.Length < SurfaceCount)
        {
            throw new ArgumentException($"Needs room for {SurfaceCount} features.", nameof(features));
        }

        features[0] = signals.Score / 100f;
        signals.Points.CopyTo(features[1..]);
        features[11] = MathF.Log(1 + signals.PromptTokens);

        int words = 0, sentences = 0, clauses = 0, lines = 1, listItems = 0, questions = 0, digits = 0, nonAscii = 0, code = 0, letters = 0;
        var inWord = false;
        var lineStart = true;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsLetterOrDigit(c))
            {
                if (!inWord)
                {
                    words++;
                }

                inWord = true;
                if (char.IsAsciiDigit(c))
                {
                    digits++;
                }
                else
                {
                    letters++;
                    if (c > 0x24F)
                    {
                        // Beyond Latin: CJK, Cyrillic, Hangul, Arabic… (a CJK "word" is a whole run, so words undercount there).
                        nonAscii++;
                    }
                }
            }
            else
            {
                inWord = false;
                if (SentenceEnds.Contains(c) && (i + 1 == text.Length || char.IsWhiteSpace(text[i + 1]) || c > 0x7F))
                {
                    sentences++;
                    if (c is '?' or '？')
                    {
                        questions++;
                    }
                }
                else if (ClauseMarks.Contains(c))
                {
                    clauses++;
                }

                if (CodeMarks.Contains(c))
                {
                    code++;
                }
            }

            if (c == '\n')
            {
                lines++;
                lineStart = true;
                continue;
            }

            if (lineStart && !char.IsWhiteSpace(c))
            {
                lineStart = false;
                if (c is '-' or '*' or '•' || (char.IsAsciiDigit(c) && i + 1 < text.Length && text[i + 1] is '.' or ')'))
                {
                    listItems++;
                }
            }
        }

        var chars = Math.Max(1, text.Length);
        features[12] = MathF.Log(1 + words);
        features[13] = MathF.Log(1 + Math.Max(sentences, 1));
        features[14] = MathF.Log(1 + clauses);
        features[15] = MathF.Log(lines);
        features[16] = MathF.Log(1 + listItems);
        features[17] = MathF.Log(1 + questions);
        features[18] = (float)digits / chars;
        features[19] = (float)nonAscii / Math.Max(1, letters);
        features[20] = (float)code / chars;
        features[21] = MathF.Log(1 + prompt.PastedChars);
        JobSize(text, features[22..]);
    }

    /// <summary>The four job-size features: requested output words (log), scope-widening and scope-narrowing words, an opening making verb.</summary>
    private static void JobSize(string text, Span<float> features)
    {
        Span<char> word = stackalloc char[24];
        int up = 0, down = 0, index = 0;
        long number = -1;
        double requested = 0;
        var makes = false;
        var i = 0;
        while (i < text.Length)
        {
            if (char.IsAsciiDigit(text[i]))
            {
                // A number, thousands separators allowed ("5,000-word", "20,000 words").
                long value = 0;
                while (i < text.Length && (char.IsAsciiDigit(text[i]) || (text[i] == ',' && i + 1 < text.Length && char.IsAsciiDigit(text[i + 1]))))
                {
                    if (text[i] != ',')
                    {
                        value = Math.Min(10_000_000, value * 10 + (text[i] - '0'));
                    }

                    i++;
                }

                number = value;
                continue;
            }

            if (!char.IsAsciiLetter(text[i]))
            {
                i++;
                continue;
            }

            var length = 0;
            while (i < text.Length && char.IsAsciiLetter(text[i]))
            {
                if (length < word.Length)
                {
                    word[length] = char.ToLowerInvariant(text[i]);
                }

                length++;
                i++;
            }

            if (length > word.Length)
            {
                number = -1;
                index++;
                continue;
            }

            var w = word[..length];
            if (number > 0 && SizeUnits.TryGetValue(w, out var unit))
            {
                requested = Math.Max(requested, (double)number * unit);
            }

            if (ScopeUp.Contains(w))
            {
                up++;
            }
            else if (ScopeDown.Contains(w))
            {
                down++;
            }

            // The first word, or the first after a polite opening ("please", "can you", "could you", "help me").
            if (index < 3 && !makes && MakeVerbs.Contains(w))
            {
                makes = true;
            }

            number = -1;
            index++;
        }

        features[0] = (float)Math.Log(1 + requested);
        features[1] = MathF.Log(1 + up);
        features[2] = MathF.Log(1 + down);
        features[3] = makes ? 1 : 0;
    }
}

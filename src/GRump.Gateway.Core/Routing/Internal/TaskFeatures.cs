using System.Buffers;

namespace GRump.Gateway.Routing.Internal;

/// <summary>
/// The surface features of a request for the learned routers: the heuristic's signals plus the shape of the ask (words,
/// sentences, clauses, lines, list items, questions, digits, non-Latin script, code punctuation) and the size of a pasted
/// document — microseconds, no model. Counting shape rather than words keeps it language-neutral: the heuristic's markers
/// are English, the shape of a many-part request is not.
/// </summary>
internal static class TaskFeatures
{
    public const int SurfaceCount = 12 + 10;

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
    }
}

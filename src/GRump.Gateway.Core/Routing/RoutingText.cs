using GRump.Gateway.Chat;

namespace GRump.Gateway.Routing;

/// <summary>
/// What a learned router reads of a chat request: the ask of the task (the last user message, without a pasted document
/// that follows the ask, but with a closing instruction after the document) and, in a conversation, the user message before it as context — the task first, so truncation
/// drops context, never the task. System messages are left out: they are usually the same boilerplate on every request
/// and would drown the task. Exemplars and live requests go through the same function, so they are read alike.
/// </summary>
public static class RoutingText
{
    /// <summary>
    /// Characters kept: the sentence model reads at most 256 word pieces (about 1,000–1,500 characters of English), so
    /// more only costs tokenizing time and cache memory.
    /// </summary>
    public const int MaxChars = 2_000;

    /// <summary>A paste shorter than this is part of the ask (a quoted sentence, a short snippet), not a document.</summary>
    public const int MinPastedChars = 200;

    /// <summary>The longest last paragraph after a pasted document that is read as a closing instruction ("…\n\nWhy does this deadlock?").</summary>
    public const int MaxClosingChars = 400;

    /// <summary>The classifier input of a conversation (the text parts of its messages).</summary>
    public static RoutingPrompt ForClassifier(IReadOnlyList<ChatMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        string? task = null;
        string? previous = null;
        for (var i = messages.Count - 1; i >= 0; i--)
        {
            if (messages[i].Role != ChatRole.User)
            {
                continue;
            }

            if (task is null)
            {
                task = messages[i].Text;
            }
            else
            {
                previous = messages[i].Text;
                break;
            }
        }

        // No user message at all: the last message is the task, as ComplexityAnalyzer.TaskText reads it.
        task ??= messages.Count > 0 ? messages[^1].Text : string.Empty;
        var askLength = AskLength(task);
        if (askLength == task.Length)
        {
            return new RoutingPrompt(Compose(task, previous), 0);
        }

        // The work is often asked after the paste ("Here are two traces:\n\n…\n\nExplain how they deadlock and fix it."):
        // then the ask is the instruction before the document and the one after it.
        var closing = ClosingInstruction(task, askLength);
        var ask = closing.IsEmpty ? task[..askLength] : string.Concat(task.AsSpan(0, askLength), "\n", closing);
        return new RoutingPrompt(Compose(ask, previous), task.Length - askLength - closing.Length);
    }

    /// <summary>
    /// The last paragraph of <paramref name="task"/> when it closes a pasted document with an instruction: after a blank
    /// line past the document's start, at most <see cref="MaxClosingChars"/>, prose of at least four words (not an indented
    /// or braced code block, not a sign-off like "Thanks, Sofia"); else empty.
    /// </summary>
    public static ReadOnlySpan<char> ClosingInstruction(string task, int askLength)
    {
        ArgumentNullException.ThrowIfNull(task);
        var last = task.LastIndexOf("\n\n", StringComparison.Ordinal);
        if (last < askLength || last - askLength < MinPastedChars / 2)
        {
            return [];
        }

        var paragraph = task.AsSpan(last + 2);
        if (paragraph.IsEmpty || char.IsWhiteSpace(paragraph[0]) || paragraph.Length > MaxClosingChars || paragraph.IndexOfAny('{', '}', ';') >= 0)
        {
            return [];
        }

        paragraph = paragraph.TrimEnd();
        var words = 0;
        foreach (var range in paragraph.SplitAny(" \n\t"))
        {
            words += paragraph[range].IsEmpty ? 0 : 1;
        }

        return words >= 4 ? paragraph : [];
    }

    /// <summary>
    /// Where the ask ends when a document is pasted after it: at the first blank line or the first colon that ends a line
    /// ("Summarize this article:\n…"), when at least <see cref="MinPastedChars"/> follow. A summary of a pasted article is
    /// as much work as its instruction says, not as its length says.
    /// </summary>
    public static int AskLength(string task)
    {
        ArgumentNullException.ThrowIfNull(task);
        var cut = task.IndexOf("\n\n", StringComparison.Ordinal);
        var colon = task.IndexOf(":\n", StringComparison.Ordinal);
        if (colon >= 0 && (cut < 0 || colon < cut))
        {
            cut = colon + 1;
        }

        return cut > 0 && task.Length - cut >= MinPastedChars ? cut : task.Length;
    }

    private static string Compose(string ask, string? previous)
    {
        if (ask.Length >= MaxChars || string.IsNullOrEmpty(previous))
        {
            return ask.Length > MaxChars ? ask[..Cut(ask, MaxChars)] : ask;
        }

        var room = MaxChars - ask.Length - 1;
        return string.Concat(ask, "\n", previous.Length > room ? previous.AsSpan(0, Cut(previous, room)) : previous);
    }

    /// <summary>A cut at <paramref name="length"/> that does not split a surrogate pair.</summary>
    private static int Cut(ReadOnlySpan<char> text, int length) => length > 0 && char.IsHighSurrogate(text[length - 1]) ? length - 1 : length;
}

/// <summary>The text a learned router reads (<see cref="RoutingText"/>) and how many characters of pasted document followed the ask.</summary>
public readonly record struct RoutingPrompt(string Text, int PastedChars);

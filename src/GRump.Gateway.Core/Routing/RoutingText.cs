using GRump.Gateway.Chat;

namespace GRump.Gateway.Routing;

/// <summary>
/// What a learned router reads of a chat request: the ask of the task (the last user message, without a pasted document
/// that follows the ask) and, in a conversation, the user message before it as context — the task first, so truncation
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
        return new RoutingPrompt(Compose(task.AsSpan(0, askLength), previous), task.Length - askLength);
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

    private static string Compose(ReadOnlySpan<char> ask, string? previous)
    {
        if (ask.Length >= MaxChars || string.IsNullOrEmpty(previous))
        {
            return ask.Length > MaxChars ? ask[..Cut(ask, MaxChars)].ToString() : ask.ToString();
        }

        var room = MaxChars - ask.Length - 1;
        return string.Concat(ask, "\n", previous.Length > room ? previous.AsSpan(0, Cut(previous, room)) : previous);
    }

    /// <summary>A cut at <paramref name="length"/> that does not split a surrogate pair.</summary>
    private static int Cut(ReadOnlySpan<char> text, int length) => length > 0 && char.IsHighSurrogate(text[length - 1]) ? length - 1 : length;
}

/// <summary>The text a learned router reads (<see cref="RoutingText"/>) and how many characters of pasted document followed the ask.</summary>
public readonly record struct RoutingPrompt(string Text, int PastedChars);

namespace GRump.Gateway.Providers;

public enum ChatStreamEventKind
{
    /// <summary>A piece of the answer's text.</summary>
    Delta,

    /// <summary>The end of the answer: finish reason and usage. Always the last event of a stream that ended cleanly.</summary>
    End,
}

/// <summary>
/// One event of a streamed completion. A stream that ends without an <see cref="ChatStreamEventKind.End"/> event was
/// cut: adapters throw instead of ending quietly.
/// </summary>
public readonly record struct ChatStreamEvent(ChatStreamEventKind Kind, string Text, string FinishReason, ProviderUsage Usage)
{
    public static ChatStreamEvent Delta(string text) => new(ChatStreamEventKind.Delta, text, string.Empty, default);

    public static ChatStreamEvent End(string finishReason, ProviderUsage usage) => new(ChatStreamEventKind.End, string.Empty, finishReason, usage);
}

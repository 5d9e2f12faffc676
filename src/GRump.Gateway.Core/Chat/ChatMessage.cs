namespace GRump.Gateway.Chat;

public enum ChatRole
{
    System,
    User,
    Assistant,
    Tool,
}

/// <summary>
/// One message of a conversation: its content parts (text, images, an assistant's reasoning), the tool calls an
/// assistant made, or — for <see cref="ChatRole.Tool"/> — the result of the call named by <see cref="ToolCallId"/>.
/// </summary>
public sealed record ChatMessage(ChatRole Role, IReadOnlyList<ContentPart> Content)
{
    /// <summary>Calls an assistant message made (to be answered by tool messages).</summary>
    public IReadOnlyList<ToolCall> ToolCalls { get; init; } = [];

    /// <summary>For a tool message: the id of the call it answers.</summary>
    public string ToolCallId { get; init; } = string.Empty;

    /// <summary>For a tool message whose API names the tool (e.g. OpenAI's legacy <c>name</c>); empty otherwise.</summary>
    public string Name { get; init; } = string.Empty;

    /// <summary>True when a tool result reports a failure (Anthropic <c>is_error</c>).</summary>
    public bool IsError { get; init; }

    /// <summary>
    /// For a tool message: Anthropic prompt caching up to and including its <c>tool_result</c> block (agents mark the
    /// newest tool result so the next turn reads the whole conversation from the provider's cache).
    /// </summary>
    public CacheControl? CacheControl { get; init; }

    /// <summary>A message of plain text.</summary>
    public static ChatMessage FromText(ChatRole role, string text) => new(role, [new TextPart(text)]);

    /// <summary>The message's text parts, concatenated (images and reasoning left out).</summary>
    public string Text
    {
        get
        {
            if (Content.Count == 1)
            {
                return Content[0] is TextPart only ? only.Text : string.Empty;
            }

            var text = string.Empty;
            for (var partIndex = 0; partIndex < Content.Count; partIndex++)
            {
                var part = Content[partIndex];
                if (part is TextPart t)
                {
                    text = text.Length == 0 ? t.Text : string.Concat(text, t.Text);
                }
            }

            return text;
        }
    }

    /// <summary>Whether any part is an image (such a request needs a model with the vision capability).</summary>
    public bool HasImage
    {
        get
        {
            for (var partIndex = 0; partIndex < Content.Count; partIndex++)
            {
                var part = Content[partIndex];
                if (part is ImagePart)
                {
                    return true;
                }
            }

            return false;
        }
    }

    public static string RoleName(ChatRole role) => role switch
    {
        ChatRole.System => "system",
        ChatRole.User => "user",
        ChatRole.Assistant => "assistant",
        _ => "tool",
    };
}

/// <summary>A piece of a message's content.</summary>
public abstract record ContentPart;

public sealed record TextPart(string Text) : ContentPart
{
    /// <summary>Anthropic prompt caching: cache the prompt up to and including this part (<c>ephemeral</c>, 5 min or 1 h).</summary>
    public CacheControl? CacheControl { get; init; }
}

/// <summary>
/// An image, by URL: <c>https://…</c> or a <c>data:image/png;base64,…</c> URL. <see cref="Detail"/> is OpenAI's
/// <c>low|high|auto</c> hint (empty = auto).
/// </summary>
public sealed record ImagePart(string Url, string Detail = "") : ContentPart
{
    /// <summary>Anthropic prompt caching up to and including this image.</summary>
    public CacheControl? CacheControl { get; init; }

    /// <summary>The media type and base64 data of a <c>data:</c> URL; false for any other URL.</summary>
    public bool TryGetData(out string mediaType, out string base64)
    {
        mediaType = base64 = string.Empty;
        const string Prefix = "data:";
        const string Marker = ";base64,";
        if (!Url.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var marker = Url.IndexOf(Marker, StringComparison.OrdinalIgnoreCase);
        if (marker < 0)
        {
            return false;
        }

        mediaType = Url[Prefix.Length..marker];
        base64 = Url[(marker + Marker.Length)..];
        return true;
    }
}

/// <summary>
/// An assistant's reasoning (Anthropic thinking), sent back in later turns so the model can continue from it.
/// <see cref="Signature"/> is the provider's proof that the text is its own; a redacted block carries only
/// <see cref="RedactedData"/>.
/// </summary>
public sealed record ReasoningPart(string Text, string Signature = "", string RedactedData = "") : ContentPart;

/// <summary>Anthropic's <c>cache_control</c> breakpoint: <c>ephemeral</c>, with a TTL of 5 minutes (default) or 1 hour.</summary>
public sealed record CacheControl(string Ttl = "");

/// <summary>A function the model may call; <see cref="ParametersJson"/> is its JSON Schema (an object), as JSON text.</summary>
public sealed record ToolDefinition(string Name, string Description, string ParametersJson)
{
    /// <summary>OpenAI structured outputs for the arguments (<c>strict</c>); null = not said.</summary>
    public bool? Strict { get; init; }

    /// <summary>Anthropic prompt caching up to and including this tool.</summary>
    public CacheControl? CacheControl { get; init; }
}

public enum ToolChoiceKind
{
    Auto,
    None,

    /// <summary>Some tool must be called (OpenAI <c>required</c>, Anthropic <c>any</c>).</summary>
    Required,

    /// <summary>The tool named in <see cref="ToolChoice.Name"/> must be called.</summary>
    Function,
}

public sealed record ToolChoice(ToolChoiceKind Kind, string Name = "")
{
    public static ToolChoice Auto { get; } = new(ToolChoiceKind.Auto);
}

/// <summary>A call the model made: its id, the function and the arguments as JSON text.</summary>
public sealed record ToolCall(string Id, string Name, string ArgumentsJson)
{
    /// <summary>Anthropic prompt caching up to and including this <c>tool_use</c> block.</summary>
    public CacheControl? CacheControl { get; init; }
}

public enum ResponseFormatKind
{
    Text,
    JsonObject,
    JsonSchema,
}

/// <summary>Structured output: any JSON object, or JSON matching <see cref="SchemaJson"/>.</summary>
public sealed record ResponseFormat(ResponseFormatKind Kind, string Name = "", string SchemaJson = "", bool? Strict = null);

/// <summary>
/// Reasoning: a thinking budget in tokens (Anthropic extended thinking; counts toward max_tokens) or an effort level
/// (OpenAI <c>reasoning_effort</c>: minimal, low, medium, high).
/// </summary>
public sealed record ReasoningOptions(int BudgetTokens = 0, string Effort = "");

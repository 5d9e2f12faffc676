using GRump.Gateway.Caching;
using GRump.Gateway.Routing;

namespace GRump.Gateway.Chat;

/// <summary>
/// One event of a chat answer. Providers yield deltas then exactly one <see cref="ChatEnded"/>; the pipeline yields
/// <see cref="ChatStarted"/> first and ends with <see cref="ChatEnded"/> carrying the <see cref="ChatOutcome"/>.
/// A failure is an exception from the enumerator (a <c>GatewayException</c>): a stream without its end event was cut
/// and is never a result. A whole completion is these events folded (<see cref="ChatResult.FoldAsync"/>).
/// </summary>
public abstract record ChatEvent;

/// <summary>The answer begins: who answers, why, and from which cache tier (<see cref="CacheLayer.Miss"/> = upstream).</summary>
public sealed record ChatStarted(string Id, string Model, string Provider, RoutingDecision Routing, CacheLayer Cache) : ChatEvent;

/// <summary>A piece of the answer's text.</summary>
public sealed record TextDelta(string Text) : ChatEvent;

/// <summary>A piece of the model's reasoning; <see cref="Signature"/> arrives once at the end of a thinking block (Anthropic).</summary>
public sealed record ReasoningDelta(string Text, string Signature = "") : ChatEvent;

/// <summary>
/// A piece of the <see cref="Index"/>-th tool call: its first delta carries <see cref="Id"/> and <see cref="Name"/>,
/// later ones only more of the JSON <see cref="Arguments"/>.
/// </summary>
public sealed record ToolCallDelta(int Index, string Id, string Name, string Arguments) : ChatEvent;

/// <summary>The answer ended cleanly: why (stop, length, tool_calls, content_filter), the upstream's usage, and — from the pipeline — the outcome.</summary>
public sealed record ChatEnded(string FinishReason, TokenUsage Usage) : ChatEvent
{
    public ChatOutcome? Outcome { get; init; }
}

/// <summary>The finish reasons the gateway speaks (OpenAI's vocabulary; other APIs are translated).</summary>
public static class FinishReasons
{
    public const string Stop = "stop";
    public const string Length = "length";
    public const string ToolCalls = "tool_calls";
    public const string ContentFilter = "content_filter";
}

using GRump.Gateway.Caching;

namespace GRump.Gateway.Chat;

/// <summary>
/// A chat request as the gateway understands it, whatever door it came in by (gRPC, REST, OpenAI Chat Completions or
/// Responses, Anthropic Messages): each door translates its wire format into this and back. Limits are checked once, by
/// <see cref="ChatLimits"/>, with field names in the snake_case the wire formats share.
/// </summary>
public sealed record ChatRequest
{
    public required IReadOnlyList<ChatMessage> Messages { get; init; }

    /// <summary>The model to call; empty = let the router choose.</summary>
    public string Model { get; init; } = string.Empty;

    public ChatMode Mode { get; init; }

    /// <summary>Null = the provider's default (and a sampled answer, not cached unless the caller opts in).</summary>
    public float? Temperature { get; init; }

    public float? TopP { get; init; }

    /// <summary>OpenAI-compatible upstreams only (-2…2); refused by adapters whose API has no such parameter.</summary>
    public float? FrequencyPenalty { get; init; }

    /// <inheritdoc cref="FrequencyPenalty"/>
    public float? PresencePenalty { get; init; }

    /// <summary>0 = the gateway's default output budget (<c>Routing:DefaultMaxOutputTokens</c>).</summary>
    public int MaxTokens { get; init; }

    public long? Seed { get; init; }

    public IReadOnlyList<string> Stop { get; init; } = [];

    /// <summary>Functions the model may call.</summary>
    public IReadOnlyList<ToolDefinition> Tools { get; init; } = [];

    /// <summary>Null = the provider's default (auto when tools are given).</summary>
    public ToolChoice? ToolChoice { get; init; }

    public bool? ParallelToolCalls { get; init; }

    /// <summary>Null = free text.</summary>
    public ResponseFormat? ResponseFormat { get; init; }

    /// <summary>Extended thinking / reasoning effort, where the model supports it.</summary>
    public ReasoningOptions? Reasoning { get; init; }

    public RoutingPreferences Routing { get; init; } = RoutingPreferences.None;

    public ChatCacheMode Cache { get; init; }

    /// <summary>Free-form id for cost attribution.</summary>
    public string SessionId { get; init; } = string.Empty;

    /// <summary>The caller's end user, passed upstream where the API has a field for it (OpenAI <c>user</c>, Anthropic <c>metadata.user_id</c>).</summary>
    public string User { get; init; } = string.Empty;
}

/// <summary>What the task is; shifts routing (plan, architecture and ship are harder than chat).</summary>
public enum ChatMode
{
    Unspecified,
    Chat,
    Code,
    Plan,
    Ship,
    Architecture,
    Spec,
}

/// <summary>
/// How a request may use the cache. <see cref="Default"/> reads and writes only deterministic answers (temperature 0
/// or a seed); <see cref="On"/> is the caller's explicit opt-in, which caches sampled answers too.
/// </summary>
public enum ChatCacheMode
{
    Default,
    On,
    Off,
    ReadOnly,
    WriteOnly,
}

/// <summary>The caller's routing constraints.</summary>
public sealed record RoutingPreferences(double MaxCostPerRequestUsd = 0, bool PreferCheaper = false)
{
    public static RoutingPreferences None { get; } = new();

    /// <summary>Capabilities the chosen model must have (code, reasoning, long-context, vision, function-calling).</summary>
    public IReadOnlyList<string> RequiredCapabilities { get; init; } = [];
}

public static class ChatCacheModes
{
    /// <summary>The tiers a request may read and write.</summary>
    public static CacheAccess ToAccess(this ChatCacheMode mode) => mode switch
    {
        ChatCacheMode.Off => CacheAccess.Off,
        ChatCacheMode.ReadOnly => CacheAccess.ReadOnly,
        ChatCacheMode.WriteOnly => CacheAccess.WriteOnly,
        _ => CacheAccess.On,
    };
}

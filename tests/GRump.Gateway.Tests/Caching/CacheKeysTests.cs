using GRump.Gateway.Caching;
using GRump.Gateway.Chat;
using GRump.Gateway.Providers;

namespace GRump.Gateway.Tests.Caching;

public sealed class CacheKeysTests
{
    private static readonly ChatRequest Chat = new()
    {
        Messages = [ChatMessage.FromText(ChatRole.System, "be brief"), ChatMessage.FromText(ChatRole.User, "hello")],
        Temperature = 0f,
        TopP = 1f,
        Seed = 7,
        Stop = ["\n\n"],
    };

    private static readonly ProviderChatRequest Base = new("moonshotai/kimi-k2.5", Chat, MaxOutputTokens: 100, Stream: false);

    private static readonly ToolDefinition Weather = new("weather", "The weather in a city", """{"type":"object","properties":{"city":{"type":"string"}}}""");

    private static ProviderChatRequest With(Func<ChatRequest, ChatRequest> change) => Base with { Chat = change(Chat) };

    /// <summary>Each row changes exactly one thing that changes the answer (or who may see it).</summary>
    public static TheoryData<string, string, string, ProviderChatRequest> Variants => new()
    {
        { "base", "default", "nim", Base },
        { "tenant", "acme", "nim", Base },
        { "provider", "default", "vllm", Base },
        { "model", "default", "nim", Base with { Model = "claude-sonnet-4-5" } },
        { "output cap", "default", "nim", Base with { MaxOutputTokens = 101 } },
        { "role", "default", "nim", With(c => c with { Messages = [ChatMessage.FromText(ChatRole.User, "be brief"), ChatMessage.FromText(ChatRole.User, "hello")] }) },
        { "content", "default", "nim", With(c => c with { Messages = [ChatMessage.FromText(ChatRole.System, "be brief"), ChatMessage.FromText(ChatRole.User, "hello!")] }) },
        { "extra message", "default", "nim", With(c => c with { Messages = [.. Chat.Messages, ChatMessage.FromText(ChatRole.User, "")] }) },
        { "message order", "default", "nim", With(c => c with { Messages = [Chat.Messages[1], Chat.Messages[0]] }) },
        { "split boundary", "default", "nim", With(c => c with { Messages = [ChatMessage.FromText(ChatRole.System, "be brie"), ChatMessage.FromText(ChatRole.User, "fhello")] }) },
        { "split into parts", "default", "nim", With(c => c with { Messages = [Chat.Messages[0], new ChatMessage(ChatRole.User, [new TextPart("hel"), new TextPart("lo")])] }) },
        { "image", "default", "nim", With(c => c with { Messages = [Chat.Messages[0], new ChatMessage(ChatRole.User, [new TextPart("hello"), new ImagePart("https://example.com/a.png")])] }) },
        { "image detail", "default", "nim", With(c => c with { Messages = [Chat.Messages[0], new ChatMessage(ChatRole.User, [new TextPart("hello"), new ImagePart("https://example.com/a.png", "low")])] }) },
        { "cache control", "default", "nim", With(c => c with { Messages = [new ChatMessage(ChatRole.System, [new TextPart("be brief") { CacheControl = new CacheControl() }]), Chat.Messages[1]] }) },
        { "tool call", "default", "nim", With(c => c with { Messages = [.. Chat.Messages, ChatMessage.FromText(ChatRole.Assistant, "") with { ToolCalls = [new ToolCall("c1", "weather", "{}")] }] }) },
        { "tool result", "default", "nim", With(c => c with { Messages = [.. Chat.Messages, ChatMessage.FromText(ChatRole.Tool, "sunny") with { ToolCallId = "c1" }] }) },
        { "reasoning part", "default", "nim", With(c => c with { Messages = [.. Chat.Messages, new ChatMessage(ChatRole.Assistant, [new ReasoningPart("think", "sig")])] }) },
        { "temperature", "default", "nim", With(c => c with { Temperature = 0.5f }) },
        { "temperature unset", "default", "nim", With(c => c with { Temperature = null }) },
        { "top_p", "default", "nim", With(c => c with { TopP = 0.9f }) },
        { "top_p unset", "default", "nim", With(c => c with { TopP = null }) },
        { "frequency_penalty", "default", "nim", With(c => c with { FrequencyPenalty = 0.5f }) },
        { "presence_penalty", "default", "nim", With(c => c with { PresencePenalty = 0.5f }) },
        { "seed", "default", "nim", With(c => c with { Seed = 8 }) },
        { "seed unset", "default", "nim", With(c => c with { Seed = null }) },
        { "stop", "default", "nim", With(c => c with { Stop = ["\n"] }) },
        { "no stop", "default", "nim", With(c => c with { Stop = [] }) },
        { "tools", "default", "nim", With(c => c with { Tools = [Weather] }) },
        { "tool schema", "default", "nim", With(c => c with { Tools = [Weather with { ParametersJson = """{"type":"object"}""" }] }) },
        { "tool choice", "default", "nim", With(c => c with { Tools = [Weather], ToolChoice = new ToolChoice(ToolChoiceKind.Required) }) },
        { "parallel tool calls", "default", "nim", With(c => c with { Tools = [Weather], ParallelToolCalls = false }) },
        { "json object", "default", "nim", With(c => c with { ResponseFormat = new ResponseFormat(ResponseFormatKind.JsonObject) }) },
        { "json schema", "default", "nim", With(c => c with { ResponseFormat = new ResponseFormat(ResponseFormatKind.JsonSchema, "answer", """{"type":"object"}""") }) },
        { "reasoning budget", "default", "nim", With(c => c with { Reasoning = new ReasoningOptions(BudgetTokens: 2048) }) },
        { "reasoning effort", "default", "nim", With(c => c with { Reasoning = new ReasoningOptions(Effort: "high") }) },
    };

    [Fact]
    public void ForChat_EveryAnswerChangingParameterAndTenant_GivesADistinctKey()
    {
        // Arrange
        var keys = new Dictionary<CacheKey, string>();

        // Act + Assert
        foreach (var row in Variants)
        {
            var (name, tenant, provider, request) = row.Data;
            var key = CacheKeys.ForChat(tenant, provider, request);
            Assert.False(keys.TryGetValue(key, out var clash), $"'{name}' has the same key as '{clash}'");
            keys.Add(key, name);
        }
    }

    [Fact]
    public void ForChat_SameRequest_SameKey()
    {
        // Arrange
        var copy = With(c => c with { Messages = [ChatMessage.FromText(ChatRole.System, "be brief"), ChatMessage.FromText(ChatRole.User, "hello")], Stop = ["\n\n"], Temperature = -0f });

        // Act + Assert
        Assert.Equal(CacheKeys.ForChat("default", "nim", Base), CacheKeys.ForChat("default", "nim", copy));
    }

    [Fact]
    public void ForEmbeddingAndIntent_EachInput_ChangesTheKey()
    {
        // Arrange
        CacheKey[] keys =
        [
            CacheKeys.ForEmbedding("default", "nim", "nv-embed", "text"),
            CacheKeys.ForEmbedding("acme", "nim", "nv-embed", "text"),
            CacheKeys.ForEmbedding("default", "local", "nv-embed", "text"),
            CacheKeys.ForEmbedding("default", "nim", "other", "text"),
            CacheKeys.ForEmbedding("default", "nim", "nv-embed", "text "),
            CacheKeys.ForIntent("text", null),
            CacheKeys.ForIntent("text", "{\"lang\":\"go\"}"),
            CacheKeys.ForText(CacheNamespace.Plans, "text"),
            CacheKeys.ForText(CacheNamespace.Chat, "text"),
        ];

        // Act + Assert
        Assert.Equal(keys.Length, keys.Distinct().Count());
        Assert.Equal(CacheKeys.ForIntent("text", null), CacheKeys.ForIntent("text", ""));
    }

    [Fact]
    public void ToHex_RoundTrips()
    {
        // Arrange
        var key = CacheKeys.ForIntent("x", null);

        // Act
        Assert.True(CacheKey.TryParseHex(key.ToHex(), out var parsed));

        // Assert
        Assert.Equal(key, parsed);
        Assert.Equal(64, key.ToHex().Length);
        Assert.False(CacheKey.TryParseHex("zz", out _));
    }
}

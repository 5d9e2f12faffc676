using GRump.Gateway.Caching;
using GRump.Gateway.Providers;

namespace GRump.Gateway.Tests.Caching;

public sealed class CacheKeysTests
{
    private static readonly ProviderChatRequest Base = new()
    {
        Model = "moonshotai/kimi-k2.5",
        Messages = [new ChatTurn("system", "be brief"), new ChatTurn("user", "hello")],
        Temperature = 0f,
        TopP = 1f,
        MaxTokens = 100,
        Seed = 7,
        Stop = ["\n\n"],
    };

    /// <summary>Each row changes exactly one thing that changes the answer (or who may see it).</summary>
    public static TheoryData<string, string, string, ProviderChatRequest> Variants => new()
    {
        { "base", "default", "nim", Base },
        { "tenant", "acme", "nim", Base },
        { "provider", "default", "vllm", Base },
        { "model", "default", "nim", Base with { Model = "claude-sonnet-4-5" } },
        { "role", "default", "nim", Base with { Messages = [new ChatTurn("user", "be brief"), new ChatTurn("user", "hello")] } },
        { "content", "default", "nim", Base with { Messages = [new ChatTurn("system", "be brief"), new ChatTurn("user", "hello!")] } },
        { "extra message", "default", "nim", Base with { Messages = [.. Base.Messages, new ChatTurn("user", "")] } },
        { "message order", "default", "nim", Base with { Messages = [Base.Messages[1], Base.Messages[0]] } },
        { "split boundary", "default", "nim", Base with { Messages = [new ChatTurn("system", "be brie"), new ChatTurn("user", "fhello")] } },
        { "temperature", "default", "nim", Base with { Temperature = 0.5f } },
        { "temperature unset", "default", "nim", Base with { Temperature = null } },
        { "top_p", "default", "nim", Base with { TopP = 0.9f } },
        { "top_p unset", "default", "nim", Base with { TopP = null } },
        { "max_tokens", "default", "nim", Base with { MaxTokens = 101 } },
        { "seed", "default", "nim", Base with { Seed = 8 } },
        { "seed unset", "default", "nim", Base with { Seed = null } },
        { "stop", "default", "nim", Base with { Stop = ["\n"] } },
        { "no stop", "default", "nim", Base with { Stop = [] } },
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
        var copy = Base with { Messages = [new ChatTurn("system", "be brief"), new ChatTurn("user", "hello")], Stop = ["\n\n"], Temperature = -0f };

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

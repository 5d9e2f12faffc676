using GRump.Gateway.Caching;
using GRump.Gateway.Chat;

namespace GRump.Gateway.Tests.Chat;

/// <summary>One cache rule for every door and both call shapes (unary and streamed share these two functions).</summary>
public sealed class ChatCacheStoreTests
{
    [Theory]
    [InlineData(0f, null, ChatCacheMode.Default, true)]
    [InlineData(0.7f, 42L, ChatCacheMode.Default, true)]
    [InlineData(null, 42L, ChatCacheMode.ReadOnly, true)]
    [InlineData(0.7f, null, ChatCacheMode.Default, false)]
    [InlineData(null, null, ChatCacheMode.Default, false)]
    [InlineData(0.7f, null, ChatCacheMode.On, true)]
    [InlineData(null, null, ChatCacheMode.On, true)]
    [InlineData(0f, null, ChatCacheMode.Off, false)]
    [InlineData(0.7f, null, ChatCacheMode.ReadOnly, false)]
    [InlineData(0f, null, ChatCacheMode.WriteOnly, true)]
    public void IsCacheable_DeterminismAndMode_Decide(float? temperature, long? seed, ChatCacheMode mode, bool expected)
    {
        // Arrange
        var request = new ChatRequest { Messages = [ChatMessage.FromText(ChatRole.User, "hi")], Temperature = temperature, Seed = seed, Cache = mode };

        // Act + Assert
        Assert.Equal(expected, ChatCacheStore.IsCacheable(request));
    }

    [Theory]
    [InlineData("stop", true)]
    [InlineData("length", true)]
    [InlineData("tool_calls", true)]
    [InlineData("content_filter", false)]
    [InlineData("error", false)]
    public void ShouldStore_OnlyCleanEnds(string finishReason, bool expected) =>
        Assert.Equal(expected, ChatCacheStore.ShouldStore(finishReason));

    [Theory]
    [InlineData(ChatCacheMode.Default, CacheAccess.On)]
    [InlineData(ChatCacheMode.On, CacheAccess.On)]
    [InlineData(ChatCacheMode.Off, CacheAccess.Off)]
    [InlineData(ChatCacheMode.ReadOnly, CacheAccess.ReadOnly)]
    [InlineData(ChatCacheMode.WriteOnly, CacheAccess.WriteOnly)]
    public void ToAccess_EveryMode_Maps(ChatCacheMode mode, CacheAccess expected) =>
        Assert.Equal(expected, mode.ToAccess());

    [Theory]
    [InlineData(CacheLayer.Miss, "MISS")]
    [InlineData(CacheLayer.L1, "L1")]
    [InlineData(CacheLayer.L2, "L2")]
    [InlineData(CacheLayer.L3, "L3")]
    public void CacheLayer_Name_IsTheHeaderValue(CacheLayer layer, string name) => Assert.Equal(name, layer.Name());
}

using GRump.Gateway.Caching;
using GRump.Gateway.Providers;

namespace GRump.Gateway.Tests.Caching;

public sealed class ChatCachePolicyTests
{
    [Theory]
    [InlineData(0f, null, CacheAccess.On, false, true)]
    [InlineData(0.7f, 42L, CacheAccess.On, false, true)]
    [InlineData(null, 42L, CacheAccess.ReadOnly, false, true)]
    [InlineData(0.7f, null, CacheAccess.On, false, false)]
    [InlineData(null, null, CacheAccess.On, false, false)]
    [InlineData(0.7f, null, CacheAccess.On, true, true)]
    [InlineData(0f, null, CacheAccess.Off, false, false)]
    [InlineData(0.7f, null, CacheAccess.Off, true, false)]
    [InlineData(0f, null, CacheAccess.WriteOnly, false, true)]
    public void IsCacheable_DeterminismModeAndOptIn_Decide(float? temperature, long? seed, CacheAccess access, bool optIn, bool expected)
    {
        // Arrange
        var request = new ProviderChatRequest { Model = "m", Messages = [new ChatTurn("user", "hi")], Temperature = temperature, Seed = seed };

        // Act
        var cacheable = ChatCachePolicy.IsCacheable(request, access, optIn);

        // Assert
        Assert.Equal(expected, cacheable);
    }
}

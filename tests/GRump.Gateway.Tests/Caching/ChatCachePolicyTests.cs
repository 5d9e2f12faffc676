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

    [Theory]
    [InlineData(V1.CacheMode.Unspecified, CacheAccess.On)]
    [InlineData(V1.CacheMode.On, CacheAccess.On)]
    [InlineData(V1.CacheMode.Off, CacheAccess.Off)]
    [InlineData(V1.CacheMode.ReadOnly, CacheAccess.ReadOnly)]
    [InlineData(V1.CacheMode.WriteOnly, CacheAccess.WriteOnly)]
    public void FromProto_EveryMode_Maps(V1.CacheMode mode, CacheAccess expected) =>
        Assert.Equal(expected, CacheAccessModes.FromProto(mode));

    [Theory]
    [InlineData(CacheLayer.Miss, "MISS", V1.CacheTier.Miss)]
    [InlineData(CacheLayer.L1, "L1", V1.CacheTier.L1)]
    [InlineData(CacheLayer.L2, "L2", V1.CacheTier.L2)]
    [InlineData(CacheLayer.L3, "L3", V1.CacheTier.L3)]
    public void CacheLayer_NameAndProto_Match(CacheLayer layer, string name, V1.CacheTier tier)
    {
        Assert.Equal(name, layer.Name());
        Assert.Equal(tier, layer.ToProto());
    }
}

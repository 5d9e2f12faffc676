using GRump.Gateway.Caching;
using GRump.Gateway.Services;

namespace GRump.Gateway.Tests.Services;

public sealed class CacheMapperTests
{
    [Theory]
    [InlineData(V1.CacheMode.Unspecified, CacheAccess.On)]
    [InlineData(V1.CacheMode.On, CacheAccess.On)]
    [InlineData(V1.CacheMode.Off, CacheAccess.Off)]
    [InlineData(V1.CacheMode.ReadOnly, CacheAccess.ReadOnly)]
    [InlineData(V1.CacheMode.WriteOnly, CacheAccess.WriteOnly)]
    [InlineData((V1.CacheMode)99, CacheAccess.On)]
    public void ToAccess_EveryMode_Maps(V1.CacheMode mode, CacheAccess expected) =>
        Assert.Equal(expected, CacheMapper.ToAccess(mode));

    [Theory]
    [InlineData(CacheLayer.Miss, "MISS", V1.CacheTier.Miss)]
    [InlineData(CacheLayer.L1, "L1", V1.CacheTier.L1)]
    [InlineData(CacheLayer.L2, "L2", V1.CacheTier.L2)]
    [InlineData(CacheLayer.L3, "L3", V1.CacheTier.L3)]
    public void ToTier_EveryLayer_MatchesItsName(CacheLayer layer, string name, V1.CacheTier tier)
    {
        Assert.Equal(name, layer.Name());
        Assert.Equal(tier, CacheMapper.ToTier(layer));
    }
}

using GRump.Gateway.Caching;

namespace GRump.Gateway.Services;

/// <summary>The contract's cache enums ↔ Core's <see cref="CacheAccess"/> and <see cref="CacheLayer"/>.</summary>
internal static class CacheMapper
{
    /// <summary>A request's cache mode; UNSPECIFIED (and any unknown value) means ON.</summary>
    public static CacheAccess ToAccess(V1.CacheMode mode) => mode switch
    {
        V1.CacheMode.Off => CacheAccess.Off,
        V1.CacheMode.ReadOnly => CacheAccess.ReadOnly,
        V1.CacheMode.WriteOnly => CacheAccess.WriteOnly,
        _ => CacheAccess.On,
    };

    /// <summary>The tier that served a response.</summary>
    public static V1.CacheTier ToTier(CacheLayer layer) => layer switch
    {
        CacheLayer.L1 => V1.CacheTier.L1,
        CacheLayer.L2 => V1.CacheTier.L2,
        CacheLayer.L3 => V1.CacheTier.L3,
        _ => V1.CacheTier.Miss,
    };
}

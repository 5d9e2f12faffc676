namespace GRump.Gateway.Caching;

/// <summary>How one request may use the cache (the contract's <c>CacheMode</c>).</summary>
public enum CacheAccess
{
    /// <summary>Read, and store what a miss produced.</summary>
    On = 0,

    /// <summary>Neither read nor write.</summary>
    Off = 1,

    /// <summary>Read; never store (a miss is served fresh and forgotten).</summary>
    ReadOnly = 2,

    /// <summary>Always produce fresh, then store it (refreshes an entry).</summary>
    WriteOnly = 3,
}

/// <summary>Predicates of <see cref="CacheAccess"/>.</summary>
public static class CacheAccessModes
{
    public static bool CanRead(this CacheAccess access) => access is CacheAccess.On or CacheAccess.ReadOnly;

    public static bool CanWrite(this CacheAccess access) => access is CacheAccess.On or CacheAccess.WriteOnly;
}

namespace GRump.Gateway.Caching;

/// <summary>Which tier served a lookup; <see cref="Miss"/> when none did.</summary>
public enum CacheLayer
{
    Miss = 0,

    /// <summary>In-process memory.</summary>
    L1 = 1,

    /// <summary>Redis, shared by the replicas.</summary>
    L2 = 2,

    /// <summary>Local disk.</summary>
    L3 = 3,
}

/// <summary>Names of <see cref="CacheLayer"/> for headers and metrics.</summary>
public static class CacheLayers
{
    internal const int Count = 4;

    private static readonly string[] Names = ["MISS", "L1", "L2", "L3"];

    /// <summary>The <c>x-grump-cache</c> header value and the metric label: <c>L1|L2|L3|MISS</c>.</summary>
    public static string Name(this CacheLayer layer) => Names[(int)layer];
}

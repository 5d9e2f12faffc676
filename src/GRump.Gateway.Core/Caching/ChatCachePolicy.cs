using GRump.Gateway.Providers;

namespace GRump.Gateway.Caching;

/// <summary>Which chat requests the cache may answer or store (DESIGN.md, "Caching").</summary>
public static class ChatCachePolicy
{
    /// <summary>
    /// True when the cache may be used for this request: the mode is not OFF, and the answer is deterministic
    /// (temperature 0 or a seed) or the request opted in. A sampled answer served from cache would silently turn a
    /// random draw into a constant, so that takes an explicit opt-in.
    /// </summary>
    public static bool IsCacheable(ProviderChatRequest request, CacheAccess access, bool optIn)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (access == CacheAccess.Off)
        {
            return false;
        }

        return optIn || request.Temperature == 0f || request.Seed is not null;
    }
}

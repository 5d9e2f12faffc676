using System.Text;
using Grpc.Core;
using GRump.Gateway.Auth;
using GRump.Gateway.Caching;
using GRump.Gateway.Errors;
using GRump.Gateway.V1;

namespace GRump.Gateway.Services;

/// <summary>
/// CacheService: clear (one namespace or all) and warm (preload answers, tenant-scoped, savings at most the registry's
/// prices) — both admin-only with API keys configured; stats (per tier and namespace, gateway-wide counters).
/// </summary>
internal sealed class CacheGrpcService(ITieredCache cache, CacheWarmer warmer, ApiKeyAuthenticator authenticator) : CacheService.CacheServiceBase
{
    public const int MaxWarmEntries = 1000;
    public const int MaxPromptBytes = 64 * 1024;
    public const int MaxResponseBytes = 1024 * 1024;
    public const int MaxNameChars = 256;

    public override async Task<ClearCacheResponse> ClearCache(ClearCacheRequest request, ServerCallContext context)
    {
        // Keys are hashes, not tenant-indexed: a clear drops every tenant's entries of the namespace, so with API keys
        // configured only an admin may clear. In anonymous mode the single tenant owns the whole cache.
        var caller = context.GetHttpContext().GetCaller();
        caller.ActFor(request.UserId);
        if (authenticator.Enabled && !caller.IsAdmin)
        {
            throw new GatewayException(GatewayErrorKind.PermissionDenied, "Clearing the cache affects every tenant: it needs an admin API key.") { Reason = "ADMIN_ONLY" };
        }
        CacheNamespace? ns = null;
        if (request.Namespace.Length > 0)
        {
            if (!CacheNamespaces.TryParse(request.Namespace, out var one))
            {
                GatewayErrors.ThrowInvalidArgument("namespace", $"'{Truncate(request.Namespace)}' is not a cache namespace; use intents, chat, embeddings, plans, or empty for all.");
            }

            ns = one;
        }

        var removed = await cache.ClearAsync(ns, context.CancellationToken).ConfigureAwait(false);
        return new ClearCacheResponse { Removed = removed };
    }

    public override async Task<WarmCacheResponse> WarmCache(WarmCacheRequest request, ServerCallContext context)
    {
        // A warmed answer is served to a tenant as if a model had produced it, and its hits count as savings: with API
        // keys configured only an admin may warm (for its own tenant or, with user_id, another's).
        var caller = context.GetHttpContext().GetCaller();
        if (authenticator.Enabled && !caller.IsAdmin)
        {
            throw new GatewayException(GatewayErrorKind.PermissionDenied, "Warming the cache serves answers to a tenant as if a model gave them: it needs an admin API key.") { Reason = "ADMIN_ONLY" };
        }

        var tenant = caller.ActFor(request.UserId);
        var entries = request.Entries;
        if (entries.Count > MaxWarmEntries)
        {
            GatewayErrors.ThrowInvalidArgument("entries", $"{entries.Count} entries; the limit is {MaxWarmEntries} per call.");
        }

        var warm = new List<CacheWarmEntry>(entries.Count);
        for (var i = 0; i < entries.Count; i++)
        {
            warm.Add(Validate($"entries[{i}].", entries[i]));
        }

        var written = await warmer.WarmAsync(warm, tenant, context.CancellationToken).ConfigureAwait(false);
        return new WarmCacheResponse { Written = written };
    }

    public override Task<GetCacheStatsResponse> GetCacheStats(GetCacheStatsRequest request, ServerCallContext context) =>
        Task.FromResult(ToResponse(cache.GetStats()));

    /// <summary>The cache's counters as the contract carries them (also part of CostService.GetStats).</summary>
    public static GetCacheStatsResponse ToResponse(CacheStats stats)
    {
        ArgumentNullException.ThrowIfNull(stats);
        var response = new GetCacheStatsResponse { SavingsUsd = stats.SavingsUsd };
        foreach (var tier in stats.Tiers)
        {
            response.Tiers.Add(new TierStats
            {
                Layer = tier.Layer.Name(),
                Enabled = tier.Enabled,
                Hits = tier.Hits,
                Misses = tier.Misses,
                Entries = tier.Entries,
                SizeBytes = tier.SizeBytes,
                Faults = tier.Faults,
                CircuitOpen = tier.CircuitOpen,
            });
        }

        foreach (var ns in stats.Namespaces)
        {
            response.Namespaces.Add(new NamespaceStats { Namespace = ns.Namespace.Name(), Hits = ns.Hits, Misses = ns.Misses, HitRate = ns.HitRate });
        }

        return response;
    }

    private CacheWarmEntry Validate(string field, WarmEntry entry)
    {
        if (entry.Namespace.Length > 0 && !CacheNamespaces.TryParse(entry.Namespace, out _))
        {
            GatewayErrors.ThrowInvalidArgument(field + "namespace", $"'{Truncate(entry.Namespace)}' is not a cache namespace; use intents, chat, embeddings or plans.");
        }

        if (entry.Model.Length is 0 or > MaxNameChars)
        {
            GatewayErrors.ThrowInvalidArgument(field + "model", $"give the model id (1-{MaxNameChars} characters).");
        }

        if (entry.Provider.Length > MaxNameChars)
        {
            GatewayErrors.ThrowInvalidArgument(field + "provider", $"at most {MaxNameChars} characters.");
        }

        if (Encoding.UTF8.GetByteCount(entry.Prompt) > MaxPromptBytes)
        {
            GatewayErrors.ThrowInvalidArgument(field + "prompt", $"at most {MaxPromptBytes} bytes of UTF-8.");
        }

        if (Encoding.UTF8.GetByteCount(entry.Response) > MaxResponseBytes)
        {
            GatewayErrors.ThrowInvalidArgument(field + "response", $"at most {MaxResponseBytes} bytes of UTF-8.");
        }

        if (!double.IsFinite(entry.CostUsd) || entry.CostUsd < 0)
        {
            GatewayErrors.ThrowInvalidArgument(field + "cost_usd", "must be a finite number ≥ 0.");
        }

        var warm = new CacheWarmEntry(entry.Namespace, entry.Model, entry.Prompt, entry.Response, entry.CostUsd, entry.Provider);
        if (warmer.ResolveProvider(warm) is null && (entry.Namespace.Length == 0 || entry.Namespace.Equals("chat", StringComparison.OrdinalIgnoreCase)))
        {
            GatewayErrors.ThrowInvalidArgument(field + "provider", $"model '{Truncate(entry.Model)}' is not in the model registry; give its provider.");
        }

        return warm;
    }

    private static string Truncate(string value) => value.Length <= 64 ? value : value[..64] + "…";
}

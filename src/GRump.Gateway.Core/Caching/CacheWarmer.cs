using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using GRump.Gateway.Chat;
using GRump.Gateway.Providers;
using GRump.Gateway.Routing;
using Microsoft.Extensions.Options;

namespace GRump.Gateway.Caching;

/// <summary>
/// One entry to preload (the contract's <c>WarmEntry</c>, and one element of the <c>Cache:WarmFile</c> JSON array).
/// In <c>chat</c> it is keyed exactly as a deterministic chat request (tenant <see cref="CacheWarmer.DefaultTenant"/>,
/// the model's provider, one user message = <paramref name="Prompt"/>, temperature 0, the default output budget) and stored as a one-delta
/// <see cref="CachedCompletion"/>; in the other namespaces it is keyed by <see cref="CacheKeys.ForText"/>(namespace,
/// model, prompt) and the value is the response's UTF-8.
/// </summary>
public sealed record CacheWarmEntry(string Namespace, string Model, string Prompt, string Response, double CostUsd = 0, string Provider = "");

/// <summary>Turns warm entries into cache writes; used at start (<c>Cache:WarmFile</c>) and by CacheService.WarmCache.</summary>
public sealed class CacheWarmer(ITieredCache cache, IOptions<ModelRegistryOptions> models)
{
    /// <summary>Until API keys exist (#8) every request is this tenant's, so warmed chat entries are too.</summary>
    public const string DefaultTenant = "default";

    private readonly ModelRegistry _registry = new(models);

    /// <summary>The provider of a model: the entry's own, else the model registry's; null when neither knows.</summary>
    public string? ResolveProvider(CacheWarmEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (!string.IsNullOrEmpty(entry.Provider))
        {
            return entry.Provider;
        }

        return _registry.TryGet(entry.Model, out var model) ? model.Provider : null;
    }

    /// <summary>Writes every entry through all tiers. Throws <see cref="ArgumentException"/> for an entry it cannot key.</summary>
    public async Task<int> WarmAsync(IReadOnlyList<CacheWarmEntry> entries, CancellationToken cancellationToken) =>
        await WarmAsync(entries, DefaultTenant, cancellationToken).ConfigureAwait(false);

    /// <summary>Writes the entries for <paramref name="tenant"/> (chat entries are keyed per tenant).</summary>
    public async Task<int> WarmAsync(IReadOnlyList<CacheWarmEntry> entries, string tenant, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var written = 0;
        foreach (var entry in entries)
        {
            var (ns, key, value) = Prepare(entry, tenant);
            await cache.SetAsync(ns, key, value, entry.CostUsd, CacheAccess.On, cancellationToken).ConfigureAwait(false);
            written++;
        }

        return written;
    }

    /// <summary>Loads a JSON array of entries (camelCase fields of <see cref="CacheWarmEntry"/>) and warms the cache.</summary>
    public async Task<int> WarmFromFileAsync(string path, CancellationToken cancellationToken)
    {
        var stream = File.OpenRead(path);
        await using (stream.ConfigureAwait(false))
        {
            var entries = await JsonSerializer.DeserializeAsync(stream, CacheWarmJsonContext.Default.ListCacheWarmEntry, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidDataException($"{path} holds no JSON array of cache entries.");
            return await WarmAsync(entries, cancellationToken).ConfigureAwait(false);
        }
    }

    private (CacheNamespace Namespace, CacheKey Key, byte[] Value) Prepare(CacheWarmEntry entry, string tenant)
    {
        if (!CacheNamespaces.TryParse(string.IsNullOrEmpty(entry.Namespace) ? "chat" : entry.Namespace, out var ns))
        {
            throw new ArgumentException($"Unknown cache namespace '{entry.Namespace}'; use intents, chat, embeddings or plans.", nameof(entry));
        }

        if (string.IsNullOrEmpty(entry.Model) || entry.Prompt is null || entry.Response is null)
        {
            throw new ArgumentException("A warm entry needs model, prompt and response.", nameof(entry));
        }

        if (!double.IsFinite(entry.CostUsd) || entry.CostUsd < 0)
        {
            throw new ArgumentException("costUsd must be a finite number ≥ 0.", nameof(entry));
        }

        if (ns != CacheNamespace.Chat)
        {
            return (ns, CacheKeys.ForText(ns, entry.Model, entry.Prompt), Encoding.UTF8.GetBytes(entry.Response));
        }

        var provider = ResolveProvider(entry)
            ?? throw new ArgumentException($"Model '{entry.Model}' is not in the model registry; give its provider.", nameof(entry));
        // Keyed as the router would send it upstream: the default output budget, within the model's own limit.
        var cap = models.Value.DefaultMaxOutputTokens;
        if (_registry.TryGet(entry.Model, out var known) && known.MaxOutputTokens > 0)
        {
            cap = Math.Min(cap, known.MaxOutputTokens);
        }

        var chat = new ChatRequest { Messages = [ChatMessage.FromText(ChatRole.User, entry.Prompt)], Model = entry.Model, Temperature = 0f };
        var request = new ProviderChatRequest(entry.Model, chat, cap, Stream: false);
        var completion = new CachedCompletion
        {
            Model = entry.Model,
            Provider = provider,
            FinishReason = FinishReasons.Stop,
            CostUsd = entry.CostUsd,
            Deltas = [new TextDelta(entry.Response)],
        };
        return (ns, CacheKeys.ForChat(tenant, provider, request), completion.Serialize());
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, PropertyNameCaseInsensitive = true, ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true)]
[JsonSerializable(typeof(List<CacheWarmEntry>))]
internal sealed partial class CacheWarmJsonContext : JsonSerializerContext;

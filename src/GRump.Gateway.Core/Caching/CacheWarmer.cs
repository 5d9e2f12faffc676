using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using GRump.Gateway.Chat;
using GRump.Gateway.Providers;
using GRump.Gateway.Routing;
using GRump.Gateway.Tokens;
using Microsoft.Extensions.Options;

namespace GRump.Gateway.Caching;

/// <summary>
/// One entry to preload (the contract's <c>WarmEntry</c>, and one element of the <c>Cache:WarmFile</c> JSON array).
/// In <c>chat</c> it is keyed exactly as a deterministic chat request of the tenant it is warmed for (the model's
/// provider, one user message = <paramref name="Prompt"/>, temperature 0, the model's output limit) and stored as a
/// one-chunk <see cref="CachedCompletion"/>; in the other namespaces it is keyed by <see cref="CacheKeys.ForText"/>
/// (namespace, tenant, model, prompt) and the value is the response's UTF-8. <paramref name="CostUsd"/> is what a hit
/// credits as savings, at most what the model registry's prices give for the entry's tokens.
/// </summary>
public sealed record CacheWarmEntry(string Namespace, string Model, string Prompt, string Response, double CostUsd = 0, string Provider = "");

/// <summary>Turns warm entries into cache writes; used at start (<c>Cache:WarmFile</c>) and by CacheService.WarmCache.</summary>
public sealed class CacheWarmer(ITieredCache cache, IOptions<ModelRegistryOptions> models)
{
    /// <summary>The tenant <c>Cache:WarmFile</c> entries are warmed for: anonymous mode's single tenant.</summary>
    public const string DefaultTenant = "default";

    private readonly ModelRegistry _registry = new(models);
    private readonly int _defaultMaxOutputTokens = models.Value.DefaultMaxOutputTokens;

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

    /// <summary>Writes the entries for <paramref name="tenant"/> (every entry is keyed per tenant).</summary>
    public async Task<int> WarmAsync(IReadOnlyList<CacheWarmEntry> entries, string tenant, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var written = 0;
        foreach (var entry in entries)
        {
            var (ns, key, value, credit) = Prepare(entry, tenant);
            await cache.SetAsync(ns, key, value, credit, CacheAccess.On, cancellationToken).ConfigureAwait(false);
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

    /// <summary>
    /// The savings a hit on <paramref name="entry"/> may credit: its claimed cost, at most what the ledger would have
    /// billed for its tokens at the registry's prices (chat: prompt + response; embeddings: the text; intents are
    /// compiled in-process for nothing). A model the registry cannot price credits nothing.
    /// </summary>
    public double Credit(CacheWarmEntry entry, CacheNamespace ns)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (!_registry.TryGet(entry.Model, out var model) || !double.IsFinite(entry.CostUsd) || entry.CostUsd <= 0)
        {
            return 0;
        }

        var priced = ns switch
        {
            CacheNamespace.Chat or CacheNamespace.Plans => model.Cost(ChatTokens.CountPrompt([ChatMessage.FromText(ChatRole.User, entry.Prompt)], []), TokenCounter.Shared.Count(entry.Response)),
            CacheNamespace.Embeddings => model.Cost(TokenCounter.Shared.Count(entry.Prompt), 0),
            _ => 0,
        };
        return Math.Min(entry.CostUsd, priced);
    }

    private (CacheNamespace Namespace, CacheKey Key, byte[] Value, double Credit) Prepare(CacheWarmEntry entry, string tenant)
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

        var credit = Credit(entry, ns);
        if (ns != CacheNamespace.Chat)
        {
            return (ns, CacheKeys.ForText(ns, tenant, entry.Model, entry.Prompt), Encoding.UTF8.GetBytes(entry.Response), credit);
        }

        var provider = ResolveProvider(entry)
            ?? throw new ArgumentException($"Model '{entry.Model}' is not in the model registry; give its provider.", nameof(entry));
        // Keyed as the chat pipeline keys a deterministic one-message request: max_tokens is the model's output limit.
        var cap = _registry.TryGet(entry.Model, out var known) ? known.OutputLimit(0, _defaultMaxOutputTokens) : _defaultMaxOutputTokens;
        var chat = new ChatRequest { Messages = [ChatMessage.FromText(ChatRole.User, entry.Prompt)], Model = entry.Model, Temperature = 0f };
        var request = new ProviderChatRequest(entry.Model, chat, cap, Stream: false);
        var completion = new CachedCompletion
        {
            Model = entry.Model,
            Provider = provider,
            FinishReason = FinishReasons.Stop,
            CostUsd = credit,
            Usage = new TokenUsage(ChatTokens.CountPrompt(chat), TokenCounter.Shared.Count(entry.Response), Estimated: true),
            Deltas = [new TextDelta(entry.Response)],
        };
        return (ns, CacheKeys.ForChat(tenant, provider, request), completion.Serialize(), credit);
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, PropertyNameCaseInsensitive = true, ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true)]
[JsonSerializable(typeof(List<CacheWarmEntry>))]
internal sealed partial class CacheWarmJsonContext : JsonSerializerContext;

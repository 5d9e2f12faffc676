using System.Collections.Frozen;
using Microsoft.Extensions.Options;

namespace GRump.Gateway.Routing;

/// <summary>The models the gateway knows, by id: the configured list, or DESIGN.md's defaults when none is configured.</summary>
public sealed class ModelRegistry
{
    public const string KimiK25 = "moonshotai/kimi-k2.5";
    public const string ClaudeSonnet = "claude-sonnet-4-5";
    public const string NvEmbed = "nvidia/nv-embed-v1";
    public const string LocalChat = "grump-local-dev";
    public const string LocalEmbedding = "all-MiniLM-L6-v2";

    private readonly FrozenDictionary<string, ModelDefinition> _byId;

    public ModelRegistry(IOptions<ModelRegistryOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Models = Effective(options.Value);
        _byId = Models.ToFrozenDictionary(m => m.Id, StringComparer.Ordinal);
        PremiumModel = options.Value.PremiumModel;
    }

    public IReadOnlyList<ModelDefinition> Models { get; }

    /// <summary>Id of the model whose price is the counterfactual for routing savings.</summary>
    public string PremiumModel { get; }

    public bool TryGet(string id, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ModelDefinition? model) =>
        _byId.TryGetValue(id, out model);

    /// <summary>The models of <paramref name="options"/>: the configured list, or <see cref="Defaults"/> when it is empty.</summary>
    public static IReadOnlyList<ModelDefinition> Effective(ModelRegistryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Models.Count > 0 ? options.Models : Defaults();
    }

    /// <summary>DESIGN.md's registry: Kimi K2.5 on NIM, Claude Sonnet 4.5 on Anthropic, the local models (free).</summary>
    public static List<ModelDefinition> Defaults() =>
    [
        new()
        {
            Id = KimiK25, Provider = "nim", InputPricePerMillion = 0.60, OutputPricePerMillion = 2.50, ContextWindow = 256_000,
            Capabilities = ["code", "reasoning", "long-context", "function-calling"], Tiers = ["simple", "medium"],
        },
        new()
        {
            // Prompt caching (Anthropic's published multipliers): reads 0.1×, 5-minute writes 1.25×, 1-hour writes 2× the input price.
            Id = ClaudeSonnet, Provider = "anthropic", InputPricePerMillion = 3, OutputPricePerMillion = 15, ContextWindow = 200_000, MaxOutputTokens = 64_000,
            CachedInputPricePerMillion = 0.30, CacheWritePricePerMillion = 3.75, CacheWrite1hPricePerMillion = 6,
            Capabilities = ["code", "reasoning", "long-context", "vision", "function-calling"], Tiers = ["complex"],
        },
        new()
        {
            // No tiers: the development model answers when nothing else is configured (the router's fallback), never
            // in place of a configured provider, not even for prefer_cheaper ($0 would always win).
            Id = LocalChat, Provider = "local", Free = true, ContextWindow = 32_768,
            Capabilities = ["code", "reasoning", "long-context"],
        },
        new()
        {
            Id = NvEmbed, Provider = "nim", InputPricePerMillion = 0.02, ContextWindow = 32_768, Capabilities = ["embedding"],
        },
        new()
        {
            Id = LocalEmbedding, Provider = "local", Free = true, ContextWindow = 256, Capabilities = ["embedding"],
        },
    ];
}

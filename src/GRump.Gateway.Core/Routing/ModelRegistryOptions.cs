using System.ComponentModel.DataAnnotations;

namespace GRump.Gateway.Routing;

/// <summary>
/// <c>Routing</c> configuration: the model registry and the router's defaults. Empty <see cref="Models"/> = the built-in
/// defaults. Cross-field rules (ids, prices, tiers, capabilities, the premium model) are checked at start.
/// </summary>
public sealed class ModelRegistryOptions
{
    public const string SectionName = "Routing";

    public List<ModelDefinition> Models { get; set; } = [];

    /// <summary>The counterfactual for routing savings: what a request would have cost without routing.</summary>
    public string PremiumModel { get; set; } = ModelRegistry.ClaudeSonnet;

    /// <summary>Embedding model for a request that names none; empty = NIM's when NIM is configured, else the local one.</summary>
    public string DefaultEmbeddingModel { get; set; } = string.Empty;

    /// <summary>
    /// Output tokens assumed for the worst-case cost estimate and the context-window check when a request sets no
    /// <c>max_tokens</c> (0). The estimate is a bound for <c>max_cost_per_request_usd</c>, not a prediction.
    /// </summary>
    [Range(1, 1_000_000)]
    public int DefaultMaxOutputTokens { get; set; } = 1024;
}

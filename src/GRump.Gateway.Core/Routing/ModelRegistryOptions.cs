namespace GRump.Gateway.Routing;

/// <summary><c>Routing</c> configuration: the model registry. Empty <see cref="Models"/> = the built-in defaults.</summary>
public sealed class ModelRegistryOptions
{
    public const string SectionName = "Routing";

    public List<ModelDefinition> Models { get; set; } = [];

    /// <summary>The counterfactual for routing savings: what a request would have cost without routing.</summary>
    public string PremiumModel { get; set; } = ModelRegistry.ClaudeSonnet;

    /// <summary>Embedding model for a request that names none; empty = NIM's when NIM is configured, else the local one.</summary>
    public string DefaultEmbeddingModel { get; set; } = string.Empty;
}

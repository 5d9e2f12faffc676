using System.ComponentModel.DataAnnotations;

namespace GRump.Gateway.Routing;

/// <summary>
/// <c>Routing</c> keys that choose how the tier is decided (beside the model registry in <see cref="ModelRegistryOptions"/>).
/// Names and files are checked at start (<c>Internal/RoutingStrategyValidator</c>): an unknown strategy or a bad
/// exemplar line stops the gateway before it listens.
/// </summary>
public sealed class RoutingStrategyOptions
{
    public const string SectionName = "Routing";

    /// <summary><c>heuristic</c>, <c>embedding</c> or <c>hybrid</c>.</summary>
    public string Strategy { get; set; } = RoutingStrategies.Hybrid;

    /// <summary>
    /// A second strategy run beside the active one on every routed request, off the request path: when it picks another
    /// tier the gateway counts it (<c>routing_disagreement_total</c>) and logs it. Empty = off.
    /// </summary>
    public string Shadow { get; set; } = string.Empty;

    /// <summary>Include the shipped training corpus in the exemplars (false = only <see cref="ExemplarFiles"/>).</summary>
    public bool BuiltInExemplars { get; set; } = true;

    /// <summary>Operator exemplar files (JSON Lines, the corpus format), added to the built-in ones.</summary>
    public List<string> ExemplarFiles { get; set; } = [];

    /// <summary>
    /// Probability of <c>complex</c> at or above which a learned router calls a task complex. Low on purpose: a complex
    /// task on the cheap model is a quality incident, a medium one on the premium model only costs money.
    /// </summary>
    [Range(0.01, 1.0)]
    public double ComplexProbability { get; set; } = 0.31;

    /// <summary>
    /// Hybrid: the sentence model runs only when the surface model's probability of <c>complex</c> is at or above this and
    /// below <see cref="ComplexProbability"/> — where the cheap features are unsure. 0 = always embed.
    /// </summary>
    [Range(0.0, 1.0)]
    public double EmbedAbove { get; set; } = 0.05;

    /// <summary>Cosine similarity at or above which a prompt is a near-duplicate of an exemplar and takes its label (above 1 = off).</summary>
    [Range(0.5, 1.01)]
    public double ExemplarMatch { get; set; } = 0.95;

    /// <summary>
    /// Layers of the sentence model the learned router reads (1–6): the mean-pooled hidden state after this many layers is
    /// the prompt's vector. 2 layers over the first 24 word pieces routed better in cross-validation than all 6 over 64,
    /// at a third of the cost (docs/routing.md, The encoder); another value embeds the built-in exemplars at start (their
    /// shipped vectors are of layer 2). The local embedding provider always runs all six.
    /// </summary>
    [Range(1, 6)]
    public int EncoderLayers { get; set; } = DefaultEncoderLayers;

    /// <summary>The service key of the learned router's encoder (a <c>LocalSentenceModel</c> cut after <see cref="EncoderLayers"/>).</summary>
    public const string EncoderServiceKey = "routing-encoder";

    /// <summary>The shipped <see cref="EncoderLayers"/> (the built-in exemplars' precomputed vectors are of this layer).</summary>
    public const int DefaultEncoderLayers = 2;

    /// <summary>Prompt vectors kept (about 1.6 KB each); 0 = no cache.</summary>
    [Range(0, 1_000_000)]
    public int EmbeddingCacheEntries { get; set; } = 4096;

    /// <summary>Put up to 120 characters of the task into shadow disagreement log lines (off: prompts can be private).</summary>
    public bool ShadowLogsText { get; set; }
}

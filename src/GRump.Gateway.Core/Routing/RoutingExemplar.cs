using GRump.Gateway.Chat;

namespace GRump.Gateway.Routing;

/// <summary>
/// One labelled chat request: a line of the routing corpus (Routing/Corpus/README.md) or of an operator's exemplar file.
/// </summary>
public sealed record RoutingExemplar(string Id, ComplexityTier Tier, IReadOnlyList<ChatMessage> Messages)
{
    public string Domain { get; init; } = string.Empty;

    /// <summary>ISO 639-1 language of the task; empty when not given.</summary>
    public string Language { get; init; } = string.Empty;

    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>Prompts sharing pasted content share a group; it defaults to the id.</summary>
    public string Group { get; init; } = string.Empty;

    /// <summary>What the learned routers read of this request (<see cref="RoutingText.ForClassifier"/>).</summary>
    public RoutingPrompt ClassifierPrompt => RoutingText.ForClassifier(Messages);
}

namespace GRump.Gateway.Routing;

/// <summary>How the router decides a request's tier (<c>Routing:Strategy</c>; docs/routing.md).</summary>
public enum RoutingStrategy
{
    /// <summary>The complexity score alone: marker words, length, conversation, mode and intent.</summary>
    Heuristic = 0,

    /// <summary>A k-nearest-neighbour vote over sentence embeddings of labelled exemplars; the score is moved into its tier.</summary>
    Embedding = 1,

    /// <summary>The heuristic, escalated to complex when the embedding vote finds the task complex; the embedding runs only when the heuristic did not already say complex.</summary>
    Hybrid = 2,
}

/// <summary>Configuration names of <see cref="RoutingStrategy"/>.</summary>
public static class RoutingStrategies
{
    public const string Heuristic = "heuristic";
    public const string Embedding = "embedding";
    public const string Hybrid = "hybrid";

    public static IReadOnlyList<string> Names { get; } = [Heuristic, Embedding, Hybrid];

    public static string Name(RoutingStrategy strategy) => strategy switch
    {
        RoutingStrategy.Heuristic => Heuristic,
        RoutingStrategy.Embedding => Embedding,
        RoutingStrategy.Hybrid => Hybrid,
        _ => throw new ArgumentOutOfRangeException(nameof(strategy), strategy, "No name for this strategy."),
    };

    public static bool TryParse(string? name, out RoutingStrategy strategy)
    {
        switch (name?.Trim().ToLowerInvariant())
        {
            case Heuristic:
                strategy = RoutingStrategy.Heuristic;
                return true;
            case Embedding:
                strategy = RoutingStrategy.Embedding;
                return true;
            case Hybrid:
                strategy = RoutingStrategy.Hybrid;
                return true;
            default:
                strategy = default;
                return false;
        }
    }

    /// <summary>The strategy named <paramref name="name"/> (validated at start, so an unknown name here is a bug).</summary>
    public static RoutingStrategy Parse(string? name) => TryParse(name, out var strategy)
        ? strategy
        : throw new ArgumentException($"'{name}' is not a routing strategy; use one of: {string.Join(", ", Names)}.", nameof(name));

    /// <summary>Whether the strategy needs the sentence model and the exemplars.</summary>
    public static bool NeedsEmbeddings(RoutingStrategy strategy) => strategy != RoutingStrategy.Heuristic;
}

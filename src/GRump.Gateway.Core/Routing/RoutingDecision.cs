namespace GRump.Gateway.Routing;

public enum ComplexityTier
{
    Simple,
    Medium,
    Complex,
}

/// <summary>One reason a request scored the points it did (e.g. <c>reasoning</c>, 15, "prove, derive").</summary>
public sealed record ComplexityFactor(string Name, double Points, string Detail);

/// <summary>What the router decided for one chat request, and why: score, tier, model, reason and the price estimate.</summary>
public sealed record RoutingDecision(int Score, ComplexityTier Tier, string Model, string Provider, string Reason)
{
    /// <summary>The chosen model's price for the prompt and the whole output budget.</summary>
    public double EstimatedCostUsd { get; init; }

    /// <summary>True when the request named its model (routing bypassed; no routing savings).</summary>
    public bool ExplicitModel { get; init; }

    public IReadOnlyList<ComplexityFactor> Factors { get; init; } = [];
}

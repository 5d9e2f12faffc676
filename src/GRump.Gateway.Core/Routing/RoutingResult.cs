using GRump.Gateway.Intent;

namespace GRump.Gateway.Routing;

/// <summary>What the router decided for one chat request, and the numbers behind it.</summary>
public sealed class RoutingResult
{
    public RoutingResult(ModelDefinition model, RoutingDecision decision, int inputTokens, int maxOutputTokens, ParsedIntent intent)
    {
        Model = model;
        Decision = decision;
        InputTokens = inputTokens;
        MaxOutputTokens = maxOutputTokens;
        Intent = intent;
    }

    /// <summary>The model to call (its id is <c>Decision.Model</c>, its provider <c>Decision.Provider</c>).</summary>
    public ModelDefinition Model { get; }

    /// <summary>The decision: score, tier, model, provider, reason, estimate, factors.</summary>
    public RoutingDecision Decision { get; }

    /// <summary>Prompt input tokens (TokenCounter.CountPrompt over every message).</summary>
    public int InputTokens { get; }

    /// <summary>
    /// The output budget: the request's max_tokens, or Routing:DefaultMaxOutputTokens when it is 0, never above the model's
    /// own limit. The estimate and the budget reservation assume it, and the upstream is sent it as its cap.
    /// </summary>
    public int MaxOutputTokens { get; }

    /// <summary>The compiled intent of the task text (passed in, or compiled by the router).</summary>
    public ParsedIntent Intent { get; }
}

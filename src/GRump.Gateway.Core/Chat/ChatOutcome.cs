using GRump.Gateway.Caching;
using GRump.Gateway.Routing;

namespace GRump.Gateway.Chat;

/// <summary>What the gateway did for a call: the model that answered, the route, the cache tier and the money.</summary>
public sealed record ChatOutcome(string Model, string Provider, RoutingDecision Routing, CacheLayer Cache, TokenUsage Usage)
{
    /// <summary>What the upstream call cost (0 for a cache hit).</summary>
    public double CostUsd { get; init; }

    /// <summary>What a cache hit avoided paying.</summary>
    public double CacheSavingsUsd { get; init; }

    /// <summary>The premium model's price for the same tokens minus <see cref="CostUsd"/> (0 when the model was named).</summary>
    public double RoutingSavingsUsd { get; init; }

    /// <summary>Time the gateway added on top of the upstream call.</summary>
    public TimeSpan Overhead { get; init; }
}

/// <summary>A whole completion: the answer's events folded.</summary>
public sealed record ChatResult(string Id, string Content, string FinishReason, ChatOutcome Outcome)
{
    public IReadOnlyList<ToolCall> ToolCalls { get; init; } = [];

    /// <summary>The model's reasoning text, when it showed any.</summary>
    public string Reasoning { get; init; } = string.Empty;

    /// <summary>The signature of the reasoning (Anthropic), needed to send it back in a later turn.</summary>
    public string ReasoningSignature { get; init; } = string.Empty;

    /// <summary>Folds a pipeline's events (<see cref="ChatStarted"/> … <see cref="ChatEnded"/> with its outcome) into one result.</summary>
    public static async Task<ChatResult> FoldAsync(IAsyncEnumerable<ChatEvent> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        var answer = new ChatAnswerBuilder();
        var id = string.Empty;
        await foreach (var item in events.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            if (item is ChatStarted started)
            {
                id = started.Id;
            }
            else if (item is ChatEnded { Outcome: { } outcome } ended)
            {
                return answer.ToResult(id, ended.FinishReason, outcome);
            }
            else
            {
                answer.Add(item);
            }
        }

        throw new InvalidOperationException("A chat stream ended without its end event.");
    }
}

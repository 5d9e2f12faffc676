using GRump.Gateway.Caching;

namespace GRump.Gateway.Chat;

/// <summary>
/// The cache as the chat path uses it, with one rule for every door and both call shapes (DESIGN.md, "Caching"):
/// a request may use the cache when it is deterministic (temperature 0 or a seed) or opted in explicitly; an answer is
/// stored only when it ended cleanly (stop, length or tool_calls). A hit replays the stored deltas as events.
/// </summary>
public sealed class ChatCacheStore(ITieredCache cache)
{
    /// <summary>
    /// True when the cache may serve or store this request: the mode is not OFF, and the answer is deterministic or the
    /// caller opted in (<see cref="ChatCacheMode.On"/>). A sampled answer served from cache would silently turn a random
    /// draw into a constant, so that takes an explicit opt-in.
    /// </summary>
    public static bool IsCacheable(ChatRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Cache switch
        {
            ChatCacheMode.Off => false,
            ChatCacheMode.On => true,
            _ => request.Temperature == 0f || request.Seed is not null,
        };
    }

    /// <summary>An answer that ended cleanly; a filtered, failed or cut one is never stored.</summary>
    public static bool ShouldStore(string finishReason) =>
        finishReason is FinishReasons.Stop or FinishReasons.Length or FinishReasons.ToolCalls;

    public ValueTask<CacheLookup> LookupAsync(ChatPlan plan, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return cache.GetAsync(CacheNamespace.Chat, plan.CacheKey, plan.Access, cancellationToken);
    }

    /// <summary>Stores a clean answer (the access mode permitting); the request's cancellation does not stop it.</summary>
    public ValueTask StoreAsync(ChatPlan plan, CachedCompletion answer)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(answer);
        return ShouldStore(answer.FinishReason)
            ? cache.SetAsync(CacheNamespace.Chat, plan.CacheKey, answer.Serialize(), answer.CostUsd, plan.Access, CancellationToken.None)
            : ValueTask.CompletedTask;
    }

    /// <summary>
    /// The stored answer, or the one <paramref name="produce"/> makes: concurrent identical requests share one upstream
    /// call (single-flight) and only the one that ran it pays.
    /// </summary>
    public ValueTask<CacheLookup> GetOrProduceAsync<TState>(ChatPlan plan, TState state, Func<TState, CancellationToken, ValueTask<CachedCompletion>> produce, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return cache.GetOrCreateAsync(CacheNamespace.Chat, plan.CacheKey, (State: state, Produce: produce),
            static async (s, ct) =>
            {
                var answer = await s.Produce(s.State, ct).ConfigureAwait(false);
                return new CacheFill(answer.Serialize(), answer.CostUsd, Store: ShouldStore(answer.FinishReason));
            },
            plan.Access, cancellationToken);
    }
}

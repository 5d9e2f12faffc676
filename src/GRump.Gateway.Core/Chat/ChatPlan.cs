using GRump.Gateway.Auth;
using GRump.Gateway.Caching;
using GRump.Gateway.Providers;
using GRump.Gateway.Routing;

namespace GRump.Gateway.Chat;

/// <summary>
/// Everything decided about a chat call before the upstream (<see cref="ChatPlanner"/>): the validated request, the
/// caller, the route and the models to try, the worst-case cost to reserve, and how it may use the cache.
/// </summary>
public sealed class ChatPlan
{
    private readonly ProviderChatRequest _routed;

    internal ChatPlan(ChatRequest request, Caller caller, string operation, RoutingResult route, IReadOnlyList<ModelDefinition> candidates)
    {
        Request = request;
        Caller = caller;
        Operation = operation;
        Route = route;
        Candidates = candidates;
        _routed = new ProviderChatRequest(route.Model.Id, request, route.MaxOutputTokens, Stream: false);
        var worst = 0d;
        var writesPromptCache = HasCacheBreakpoint(request);
        foreach (var model in candidates)
        {
            worst = Math.Max(worst, model.WorstCaseCost(route.InputTokens, route.MaxOutputTokens, writesPromptCache));
        }

        WorstCaseUsd = worst;
        Access = request.Cache.ToAccess();
        Cacheable = ChatCacheStore.IsCacheable(request);
        if (Cacheable)
        {
            CacheKey = CacheKeys.ForChat(caller.Tenant, route.Model.Provider, _routed);
        }
    }

    public ChatRequest Request { get; }

    public Caller Caller { get; }

    /// <summary>One of <see cref="Cost.CostOperations"/>: what the ledger calls this call.</summary>
    public string Operation { get; }

    public RoutingResult Route { get; }

    /// <summary>The routed model, then its fallbacks (<c>Chat:FallbackModels</c>) whose providers are configured.</summary>
    public IReadOnlyList<ModelDefinition> Candidates { get; }

    /// <summary>The most any candidate can cost for the prompt and the whole output budget: what the budget must hold.</summary>
    public double WorstCaseUsd { get; }

    public CacheAccess Access { get; }

    /// <summary>Whether the cache may serve or store this request (<see cref="ChatCacheStore.IsCacheable"/>).</summary>
    public bool Cacheable { get; }

    /// <summary>The request's cache key (tenant, routed provider and model, every parameter); default when not cacheable.</summary>
    public CacheKey CacheKey { get; }

    /// <summary>The upstream request for <paramref name="model"/> (the routed one, or a fallback), whole or streamed.</summary>
    public ProviderChatRequest RequestFor(ModelDefinition model, bool stream)
    {
        ArgumentNullException.ThrowIfNull(model);
        var request = model.Id == _routed.Model ? _routed : _routed with { Model = model.Id };
        return stream ? request with { Stream = true } : request;
    }

    /// <summary>Whether the request marks any prompt-cache breakpoint (then the provider may bill cache writes).</summary>
    public static bool HasCacheBreakpoint(ChatRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        for (var toolIndex = 0; toolIndex < request.Tools.Count; toolIndex++)
        {
            var tool = request.Tools[toolIndex];
            if (tool.CacheControl is not null)
            {
                return true;
            }
        }

        for (var messageIndex = 0; messageIndex < request.Messages.Count; messageIndex++)
        {
            var message = request.Messages[messageIndex];
            if (message.CacheControl is not null)
            {
                return true;
            }

            for (var partIndex = 0; partIndex < message.Content.Count; partIndex++)
            {
                var part = message.Content[partIndex];
                if (part is TextPart { CacheControl: not null } or ImagePart { CacheControl: not null })
                {
                    return true;
                }
            }

            for (var callIndex = 0; callIndex < message.ToolCalls.Count; callIndex++)
            {
                var call = message.ToolCalls[callIndex];
                if (call.CacheControl is not null)
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>The router's decision, restated when a fallback model answered instead.</summary>
    public RoutingDecision DecisionFor(ModelDefinition model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var decision = Route.Decision;
        return model.Id == decision.Model
            ? decision
            : decision with
            {
                Model = model.Id,
                Provider = model.Provider,
                Reason = $"{decision.Model} failed before answering; fell back to {model.Id}. Routed: {decision.Reason}",
                EstimatedCostUsd = model.Cost(Route.InputTokens, Route.MaxOutputTokens),
            };
    }
}

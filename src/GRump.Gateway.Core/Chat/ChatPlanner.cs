using GRump.Gateway.Auth;
using GRump.Gateway.Diagnostics;
using GRump.Gateway.Intent;
using GRump.Gateway.Providers;
using GRump.Gateway.Routing;
using GRump.Gateway.Workers;
using Microsoft.Extensions.Options;

namespace GRump.Gateway.Chat;

/// <summary>
/// The first step of every chat call, before any money moves: validate the request once, compile the task's intent
/// (inline when short, on the worker pool when long), route it, apply the tenant's rate limit, and list the models to
/// try with the worst case to reserve.
/// </summary>
public sealed class ChatPlanner(
    IProviderDirectory providers,
    ModelRegistry registry,
    ModelRouter router,
    IIntentCompiler intents,
    WorkerPool workers,
    TenantRateLimiter rateLimiter,
    IOptions<ChatOptions> options,
    IOptions<IntentOptions> intentOptions)
{
    /// <summary>The routing decision for a request, without admitting or counting it (AnalyzeComplexity).</summary>
    public async ValueTask<RoutingResult> AnalyzeAsync(ChatRequest request, CancellationToken cancellationToken)
    {
        ChatLimits.Validate(request);
        return router.Analyze(request, await CompileIntentAsync(request, cancellationToken).ConfigureAwait(false));
    }

    public async ValueTask<ChatPlan> PlanAsync(ChatRequest request, Caller caller, string operation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ChatLimits.Validate(request);
        ParsedIntent intent;
        using (GatewayTelemetry.ActivitySource.StartActivity("intent.compile"))
        {
            intent = await CompileIntentAsync(request, cancellationToken).ConfigureAwait(false);
        }

        RoutingResult route;
        using (var span = GatewayTelemetry.ActivitySource.StartActivity("routing.decide"))
        {
            route = router.Route(request, intent);
            span?.SetTag("grump.complexity", route.Decision.Score);
            span?.SetTag("grump.tier", route.Decision.Tier.ToString());
            span?.SetTag("gen_ai.request.model", route.Model.Id);
        }

        await rateLimiter.AdmitAsync(caller.Tenant, route.InputTokens + route.MaxOutputTokens, cancellationToken).ConfigureAwait(false);
        return new ChatPlan(request, caller, operation, route, Candidates(route.Model));
    }

    private ValueTask<ParsedIntent> CompileIntentAsync(ChatRequest request, CancellationToken cancellationToken)
    {
        var task = ComplexityAnalyzer.TaskText(request);
        return task.Length <= intentOptions.Value.InlineMaxChars
            ? ValueTask.FromResult(intents.Compile(task))
            : new ValueTask<ParsedIntent>(workers.RunAsync(WorkKind.ParseIntent, (Compiler: intents, Task: task), static s => s.Compiler.Compile(s.Task), cancellationToken));
    }

    private List<ModelDefinition> Candidates(ModelDefinition first)
    {
        var candidates = new List<ModelDefinition>(2) { first };
        if (options.Value.FallbackModels.TryGetValue(first.Id, out var fallbacks))
        {
            foreach (var id in fallbacks)
            {
                if (registry.TryGet(id, out var fallback) && providers.IsAvailable(fallback.Provider) && !candidates.Contains(fallback))
                {
                    candidates.Add(fallback);
                }
            }
        }

        return candidates;
    }
}

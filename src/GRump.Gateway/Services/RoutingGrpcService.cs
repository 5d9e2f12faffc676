using Grpc.Core;
using GRump.Gateway.Intent;
using GRump.Gateway.Routing;
using GRump.Gateway.V1;
using GRump.Gateway.Workers;
using Microsoft.Extensions.Options;

namespace GRump.Gateway.Services;

/// <summary>
/// RoutingService: the router's decision for a chat request without calling a model (for debugging and the CLI).
/// The task text's intent compiles inline when short, on the worker pool when long, as in IntentService.
/// </summary>
internal sealed class RoutingGrpcService(ModelRouter router, IIntentCompiler compiler, WorkerPool pool, IOptions<IntentOptions> options) : RoutingService.RoutingServiceBase
{
    private readonly int _inlineMaxChars = options.Value.InlineMaxChars;

    public override async Task<AnalyzeComplexityResponse> AnalyzeComplexity(AnalyzeComplexityRequest request, ServerCallContext context)
    {
        var chat = request.Chat ?? new ChatRequest();
        ChatRequestLimits.Validate(chat);
        var task = ComplexityAnalyzer.TaskText(chat);
        var intent = task.Length <= _inlineMaxChars
            ? compiler.Compile(task)
            : await pool.RunAsync(WorkKind.ParseIntent, (Compiler: compiler, Task: task), static s => s.Compiler.Compile(s.Task), context.CancellationToken).ConfigureAwait(false);
        var decision = router.Analyze(chat, intent).Decision;
        return new AnalyzeComplexityResponse
        {
            Score = decision.Score,
            Tier = decision.Tier,
            Model = decision.Model,
            Provider = decision.Provider,
            Reason = decision.Reason,
            EstimatedCostUsd = decision.EstimatedCostUsd,
            Factors = { decision.Factors },
        };
    }
}

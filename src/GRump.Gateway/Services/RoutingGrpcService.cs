using Grpc.Core;
using GRump.Gateway.Chat;
using GRump.Gateway.V1;

namespace GRump.Gateway.Services;

/// <summary>
/// RoutingService: the router's decision for a chat request without calling a model (for debugging and the CLI).
/// The task text's intent compiles inline when short, on the worker pool when long, as in IntentService.
/// </summary>
internal sealed class RoutingGrpcService(ChatPipeline pipeline) : RoutingService.RoutingServiceBase
{
    public override async Task<AnalyzeComplexityResponse> AnalyzeComplexity(AnalyzeComplexityRequest request, ServerCallContext context)
    {
        var decision = (await pipeline.AnalyzeAsync(ChatMapper.ToDomain(request.Chat ?? new V1.ChatRequest()), context.CancellationToken).ConfigureAwait(false)).Decision;
        var response = new AnalyzeComplexityResponse
        {
            Score = decision.Score,
            Tier = ChatMapper.ToProto(decision.Tier),
            Model = decision.Model,
            Provider = decision.Provider,
            Reason = decision.Reason,
            EstimatedCostUsd = decision.EstimatedCostUsd,
        };
        foreach (var factor in decision.Factors)
        {
            response.Factors.Add(ChatMapper.ToProto(factor));
        }

        return response;
    }
}

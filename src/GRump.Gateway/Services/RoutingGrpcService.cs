using Grpc.Core;
using GRump.Gateway.Chat;
using GRump.Gateway.Providers;
using GRump.Gateway.Routing;
using GRump.Gateway.V1;

namespace GRump.Gateway.Services;

/// <summary>
/// RoutingService: the router's decision for a chat request without calling a model (for debugging and the CLI), and
/// the model registry. The task text's intent compiles inline when short, on the worker pool when long, as in IntentService.
/// </summary>
internal sealed class RoutingGrpcService(ChatPipeline pipeline, ModelRegistry registry, IProviderDirectory providers) : RoutingService.RoutingServiceBase
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

    public override Task<ListModelsResponse> ListModels(ListModelsRequest request, ServerCallContext context)
    {
        var response = new ListModelsResponse();
        foreach (var model in registry.Models)
        {
            response.Models.Add(new ModelInfo
            {
                Id = model.Id,
                Provider = model.Provider,
                InputPricePerMillionUsd = model.InputPricePerMillion,
                OutputPricePerMillionUsd = model.OutputPricePerMillion,
                ContextWindow = model.ContextWindow,
                Capabilities = { model.Capabilities },
                Tiers = { model.Tiers },
                Available = providers.IsAvailable(model.Provider),
            });
        }
        return Task.FromResult(response);
    }
}

using Grpc.Core;
using GRump.Gateway.Auth;
using GRump.Gateway.Chat;
using GRump.Gateway.V1;
using GRump.Gateway.Workflows;

namespace GRump.Gateway.Services;

/// <summary>
/// WorkflowService over gRPC and REST (<c>POST /api/plan</c>, <c>/api/ship</c>: NDJSON). The work is in
/// <see cref="WorkflowRunner"/>; this maps its events onto the contract's messages.
/// </summary>
internal sealed class WorkflowGrpcService(WorkflowRunner runner) : WorkflowService.WorkflowServiceBase
{
    public override async Task Plan(PlanRequest request, IServerStreamWriter<PlanResponse> responseStream, ServerCallContext context)
    {
        var workflow = new WorkflowRequest(request.Message, request.Model, ToDomain(request.Cache));
        await foreach (var item in runner.PlanAsync(workflow, context.GetHttpContext().GetCaller(), context.CancellationToken).ConfigureAwait(false))
        {
            PlanResponse? response = item switch
            {
                IntentCompiled intent => new PlanResponse { Intent = IntentMapper.ToProto(intent.Intent, null) },
                PhaseDelta delta => new PlanResponse { Delta = new StreamDelta { Content = delta.Text } },
                PhaseCompleted completed => new PlanResponse { Outcome = ChatMapper.ToProto(completed.Outcome) },
                _ => null,
            };
            if (response is not null)
            {
                await responseStream.WriteAsync(response, context.CancellationToken).ConfigureAwait(false);
            }
        }
    }

    public override async Task Ship(ShipRequest request, IServerStreamWriter<ShipResponse> responseStream, ServerCallContext context)
    {
        var workflow = new WorkflowRequest(request.Message, request.Model, ToDomain(request.Cache));
        await foreach (var item in runner.ShipAsync(workflow, context.GetHttpContext().GetCaller(), context.CancellationToken).ConfigureAwait(false))
        {
            var response = new ShipResponse { Phase = ToProto(item.Phase) };
            switch (item)
            {
                case IntentCompiled intent:
                    response.Status = "completed";
                    response.Intent = IntentMapper.ToProto(intent.Intent, null);
                    break;
                case PhaseStarted:
                    response.Status = "started";
                    break;
                case PhaseDelta delta:
                    response.Status = "delta";
                    response.Content = delta.Text;
                    break;
                case PhaseCompleted completed:
                    response.Status = "completed";
                    response.Outcome = ChatMapper.ToProto(completed.Outcome);
                    break;
            }
            await responseStream.WriteAsync(response, context.CancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>UNSPECIFIED is ON for workflows (the proto's rule): a repeated workflow is served from the cache phase by phase.</summary>
    private static ChatCacheMode ToDomain(CacheMode cache) => cache switch
    {
        CacheMode.Unspecified or CacheMode.On => ChatCacheMode.On,
        CacheMode.Off => ChatCacheMode.Off,
        CacheMode.ReadOnly => ChatCacheMode.ReadOnly,
        CacheMode.WriteOnly => ChatCacheMode.WriteOnly,
        _ => (ChatCacheMode)(-1),
    };

    private static ShipPhase ToProto(WorkflowPhase phase) => phase switch
    {
        WorkflowPhase.Intent => ShipPhase.Intent,
        WorkflowPhase.Architecture => ShipPhase.Architecture,
        WorkflowPhase.Plan => ShipPhase.Plan,
        WorkflowPhase.Code => ShipPhase.Code,
        _ => ShipPhase.Unspecified,
    };
}

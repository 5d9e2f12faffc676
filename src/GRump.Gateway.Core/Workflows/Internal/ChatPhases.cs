using System.Runtime.CompilerServices;
using GRump.Gateway.Auth;
using GRump.Gateway.Chat;
using GRump.Gateway.V1;

namespace GRump.Gateway.Workflows.Internal;

/// <summary>One chat phase of a workflow: its place in the chain, how it is metered and routed, and its prompt.</summary>
internal sealed record PhaseCall(WorkflowPhase Phase, string Operation, ChatMode Mode, string System, string Task);

/// <summary>
/// The one place workflows call the chat pipeline: every phase is an ordinary streamed chat call, so it is rate limited,
/// routed by its own complexity and mode, cached, budget-checked and metered like any other. Port this file alone when
/// the chat core replaces <see cref="ChatPipeline"/>'s wire-typed API.
/// </summary>
/// <remarks>
/// Today's public <see cref="ChatPipeline.StreamAsync"/> meters every call under the operation <c>stream</c>: it takes no
/// operation name, so <see cref="PhaseCall.Operation"/> reaches the ledger once the pipeline accepts one (the chat core does).
/// </remarks>
internal sealed class ChatPhases(ChatPipeline pipeline)
{
    /// <summary>
    /// The phase's events. <see cref="PhaseStarted"/> comes once the pipeline admitted the call (rate limit, budget
    /// reservation) and the model began answering, so a refusal surfaces before anything else is sent.
    /// </summary>
    public async IAsyncEnumerable<WorkflowEvent> RunAsync(PhaseCall call, WorkflowRequest request, Caller caller, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var chat = new ChatRequest
        {
            Model = request.Model,
            Mode = call.Mode,
            // UNSPECIFIED means ON for workflows (proto comment): a repeated workflow is served from the cache phase by phase.
            Cache = request.Cache == CacheMode.Unspecified ? CacheMode.On : request.Cache,
            Messages =
            {
                new ChatMessage { Role = "system", Content = call.System },
                new ChatMessage { Role = "user", Content = call.Task },
            },
        };
        await foreach (var item in pipeline.StreamAsync(chat, caller, cancellationToken).ConfigureAwait(false))
        {
            switch (item.EventCase)
            {
                case StreamCompleteResponse.EventOneofCase.Start:
                    yield return new PhaseStarted(call.Phase);
                    break;
                case StreamCompleteResponse.EventOneofCase.Delta:
                    yield return new PhaseDelta(call.Phase, item.Delta.Content);
                    break;
                case StreamCompleteResponse.EventOneofCase.End:
                    yield return new PhaseCompleted(call.Phase, item.End.Outcome);
                    break;
            }
        }
    }
}

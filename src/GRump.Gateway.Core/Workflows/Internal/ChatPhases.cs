using System.Runtime.CompilerServices;
using GRump.Gateway.Auth;
using GRump.Gateway.Chat;

namespace GRump.Gateway.Workflows.Internal;

/// <summary>One chat phase of a workflow: its place in the chain, the operation it is metered under, its mode and prompt.</summary>
internal sealed record PhaseCall(WorkflowPhase Phase, string Operation, ChatMode Mode, string System, string Task);

/// <summary>
/// The one place workflows call the chat pipeline: every phase is an ordinary streamed chat call, so it is rate limited,
/// routed by its own complexity and mode, cached, budget-checked and metered (under the phase's operation) like any other.
/// </summary>
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
            Messages = [ChatMessage.FromText(ChatRole.System, call.System), ChatMessage.FromText(ChatRole.User, call.Task)],
            Model = request.Model,
            Mode = call.Mode,
            Cache = request.Cache,
        };
        await foreach (var item in pipeline.StreamAsync(chat, caller, call.Operation, cancellationToken).ConfigureAwait(false))
        {
            switch (item)
            {
                case ChatStarted:
                    yield return new PhaseStarted(call.Phase);
                    break;
                case TextDelta text:
                    yield return new PhaseDelta(call.Phase, text.Text);
                    break;
                case ChatEnded { Outcome: { } outcome }:
                    yield return new PhaseCompleted(call.Phase, outcome);
                    break;
            }
        }
    }
}

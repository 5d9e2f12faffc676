using System.Runtime.CompilerServices;
using System.Text;
using GRump.Gateway.Auth;
using GRump.Gateway.Chat;
using GRump.Gateway.Intent;
using GRump.Gateway.Workers;
using GRump.Gateway.Workflows.Internal;
using Microsoft.Extensions.Options;

namespace GRump.Gateway.Workflows;

/// <summary>
/// Plan and Ship: prompt chains over the chat pipeline. The intent is compiled in-process; then each phase is a chat
/// call whose output feeds the next (Ship: architecture → plan → code). A failed phase ends the workflow with its
/// error; cancellation stops the chain, and what ran — the running phase's partial output included — is billed by the
/// pipeline. Nothing is sent before the first phase was admitted, so a refusal (no budget, rate limited, no upstream)
/// is the call's status, not an error after a first message.
/// </summary>
public sealed class WorkflowRunner(IIntentCompiler intents, WorkerPool workers, IOptions<IntentOptions> intentOptions, ChatPipeline pipeline)
{
    private readonly ChatPhases _phases = new(pipeline);

    /// <summary>Operation names the phases are metered under (cost by operation).</summary>
    public static class Operations
    {
        public const string Plan = Cost.CostOperations.Plan;
        public const string ShipArchitecture = "ship.architecture";
        public const string ShipPlan = "ship.plan";
        public const string ShipCode = "ship.code";
    }

    /// <summary>The intent, then one plan phase (mode plan).</summary>
    public async IAsyncEnumerable<WorkflowEvent> PlanAsync(WorkflowRequest request, Caller caller, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        WorkflowLimits.Validate(request);
        var intent = await CompileAsync(request.Message, cancellationToken).ConfigureAwait(false);
        var plan = new PhaseCall(WorkflowPhase.Plan, Operations.Plan, ChatMode.Plan, WorkflowPrompts.Plan, WorkflowPrompts.Task(request.Message, intent));
        await foreach (var item in AfterAdmissionAsync(new IntentCompiled(intent), plan, request, caller, new StringBuilder(), cancellationToken).ConfigureAwait(false))
        {
            yield return item;
        }
    }

    /// <summary>The intent, then architecture (mode architecture) → plan (mode plan) → code (mode ship), each fed the previous output.</summary>
    public async IAsyncEnumerable<WorkflowEvent> ShipAsync(WorkflowRequest request, Caller caller, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        WorkflowLimits.Validate(request);
        var intent = await CompileAsync(request.Message, cancellationToken).ConfigureAwait(false);

        var architecture = new StringBuilder();
        var first = new PhaseCall(WorkflowPhase.Architecture, Operations.ShipArchitecture, ChatMode.Architecture, WorkflowPrompts.Architecture,
            WorkflowPrompts.Task(request.Message, intent));
        await foreach (var item in AfterAdmissionAsync(new IntentCompiled(intent), first, request, caller, architecture, cancellationToken).ConfigureAwait(false))
        {
            yield return item;
        }

        var plan = new StringBuilder();
        var second = new PhaseCall(WorkflowPhase.Plan, Operations.ShipPlan, ChatMode.Plan, WorkflowPrompts.ShipPlan,
            WorkflowPrompts.Task(request.Message, intent, "Architecture", architecture.ToString()));
        await foreach (var item in CollectAsync(_phases.RunAsync(second, request, caller, cancellationToken), plan).ConfigureAwait(false))
        {
            yield return item;
        }

        var third = new PhaseCall(WorkflowPhase.Code, Operations.ShipCode, ChatMode.Ship, WorkflowPrompts.Code,
            WorkflowPrompts.Task(request.Message, intent, "Plan", plan.ToString()));
        await foreach (var item in CollectAsync(_phases.RunAsync(third, request, caller, cancellationToken), new StringBuilder()).ConfigureAwait(false))
        {
            yield return item;
        }
    }

    /// <summary><paramref name="first"/> is sent only after <paramref name="call"/> was admitted and began answering.</summary>
    private async IAsyncEnumerable<WorkflowEvent> AfterAdmissionAsync(WorkflowEvent first, PhaseCall call, WorkflowRequest request, Caller caller, StringBuilder output,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var phase = CollectAsync(_phases.RunAsync(call, request, caller, cancellationToken), output).GetAsyncEnumerator(cancellationToken);
        await using (phase.ConfigureAwait(false))
        {
            var any = await phase.MoveNextAsync().ConfigureAwait(false);
            yield return first;
            if (any)
            {
                yield return phase.Current;
                while (await phase.MoveNextAsync().ConfigureAwait(false))
                {
                    yield return phase.Current;
                }
            }
        }
    }

    /// <summary>Passes the phase's events through and keeps its text for the next phase.</summary>
    private static async IAsyncEnumerable<WorkflowEvent> CollectAsync(IAsyncEnumerable<WorkflowEvent> events, StringBuilder output)
    {
        await foreach (var item in events.ConfigureAwait(false))
        {
            if (item is PhaseDelta delta)
            {
                output.Append(delta.Text);
            }
            yield return item;
        }
    }

    private ValueTask<ParsedIntent> CompileAsync(string message, CancellationToken cancellationToken) =>
        message.Length <= intentOptions.Value.InlineMaxChars
            ? ValueTask.FromResult(intents.Compile(message))
            : new ValueTask<ParsedIntent>(workers.RunAsync(WorkKind.ParseIntent, (Compiler: intents, Text: message), static s => s.Compiler.Compile(s.Text), cancellationToken));
}

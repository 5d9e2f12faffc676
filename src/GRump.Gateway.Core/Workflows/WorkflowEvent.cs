using GRump.Gateway.Chat;
using GRump.Gateway.Intent;

namespace GRump.Gateway.Workflows;

/// <summary>The steps of a workflow: the intent (compiled in-process), then chat phases in order.</summary>
public enum WorkflowPhase
{
    Intent,
    Architecture,
    Plan,
    Code,
}

/// <summary>What a workflow streams, in order: its intent, then per phase started → deltas → completed.</summary>
public abstract record WorkflowEvent(WorkflowPhase Phase);

/// <summary>The request's intent, compiled before any model call (the first event of every workflow).</summary>
public sealed record IntentCompiled(ParsedIntent Intent) : WorkflowEvent(WorkflowPhase.Intent);

/// <summary>A chat phase is about to call its model.</summary>
public sealed record PhaseStarted(WorkflowPhase Phase) : WorkflowEvent(Phase);

/// <summary>Text of the running phase, as the model streams it.</summary>
public sealed record PhaseDelta(WorkflowPhase Phase, string Text) : WorkflowEvent(Phase);

/// <summary>A chat phase ended cleanly: the model, route, cache tier, usage and cost the pipeline reported.</summary>
public sealed record PhaseCompleted(WorkflowPhase Phase, ChatOutcome Outcome) : WorkflowEvent(Phase);

/// <summary>A workflow as asked: the text, an optional model for every phase, and how the phases may use the cache
/// (the doors map the contract's UNSPECIFIED to <see cref="ChatCacheMode.On"/>: a repeated workflow is a cache hit).</summary>
public sealed record WorkflowRequest(string Message, string Model, ChatCacheMode Cache);

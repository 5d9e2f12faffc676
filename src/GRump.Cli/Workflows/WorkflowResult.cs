using System.Text;
using Grpc.Core;
using GRump.Gateway.V1;

namespace GRump.Cli.Workflows;

/// <summary>
/// One ship workflow as its events arrive: the intent, then each phase's text and outcome. It is complete only when
/// the code phase completed; a stream that ends earlier is a failure, never a silent success.
/// </summary>
internal sealed class WorkflowResult(string message, TimeProvider time)
{
    private readonly List<PhaseResult> _phases = [];
    private long _started;
    private TimeSpan? _elapsed;

    public string Message => message;

    public Intent? Intent { get; private set; }

    public IReadOnlyList<PhaseResult> Phases => _phases;

    /// <summary>The phase running now (null before the first and after the last).</summary>
    public PhaseResult? Current { get; private set; }

    /// <summary>Set when the workflow failed: its gRPC status and message.</summary>
    public RpcException? Failure { get; private set; }

    public bool Succeeded => Failure is null && _phases.Exists(p => p.Phase == ShipPhase.Code && p.Outcome is not null);

    public TimeSpan Elapsed => _elapsed ?? (_started == 0 ? TimeSpan.Zero : time.GetElapsedTime(_started));

    public double CostUsd => Sum(o => o.CostUsd);

    public double CacheSavingsUsd => Sum(o => o.CacheSavingsUsd);

    public long InputTokens => (long)Sum(o => o.Usage?.InputTokens ?? 0);

    public long OutputTokens => (long)Sum(o => o.Usage?.OutputTokens ?? 0);

    /// <summary>The models that answered, in phase order, each once.</summary>
    public IReadOnlyList<string> Models => [.. _phases.Where(p => p.Outcome is not null).Select(p => p.Outcome!.Model).Distinct(StringComparer.Ordinal)];

    public void Start() => _started = time.GetTimestamp();

    /// <summary>Folds one event in; returns the phase it touched (null for the intent).</summary>
    public PhaseResult? Apply(ShipResponse item)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (item.Intent is not null)
        {
            Intent = item.Intent;
        }
        if (item.Phase is ShipPhase.Intent or ShipPhase.Unspecified)
        {
            return null;
        }
        if (Current is null || Current.Phase != item.Phase)
        {
            Current = new PhaseResult(item.Phase, time.GetTimestamp());
            _phases.Add(Current);
        }
        var phase = Current;
        switch (item.Status)
        {
            case "delta":
                phase.Content.Append(item.Content);
                break;
            case "completed":
                phase.Complete(item.Outcome, time);
                Current = null;
                break;
        }
        return phase;
    }

    public void Fail(RpcException failure)
    {
        Failure = failure;
        Finish();
    }

    /// <summary>Stops the clock; a stream that ended before the code phase completed becomes a failure here.</summary>
    public void Finish()
    {
        _elapsed ??= Elapsed;
        if (Failure is null && !Succeeded)
        {
            var last = _phases.Count > 0 ? WorkflowNames.Phase(_phases[^1].Phase) : "the intent";
            Failure = new RpcException(new Status(StatusCode.Internal, $"the ship stream ended after {last}, before the code phase completed"));
        }
    }

    private double Sum(Func<ChatOutcome, double> value)
    {
        var total = 0d;
        foreach (var phase in _phases)
        {
            if (phase.Outcome is not null)
            {
                total += value(phase.Outcome);
            }
        }
        return total;
    }
}

/// <summary>One phase of a workflow: its streamed text and, once completed, what the gateway did for it.</summary>
internal sealed class PhaseResult(ShipPhase phase, long started)
{
    public ShipPhase Phase => phase;

    public StringBuilder Content { get; } = new();

    public ChatOutcome? Outcome { get; private set; }

    public TimeSpan Elapsed { get; private set; }

    public void Complete(ChatOutcome? outcome, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        Outcome = outcome ?? new ChatOutcome();
        Elapsed = time.GetElapsedTime(started);
    }
}

/// <summary>Phase names as users read them.</summary>
internal static class WorkflowNames
{
    public static string Phase(ShipPhase phase) => phase switch
    {
        ShipPhase.Intent => "intent",
        ShipPhase.Architecture => "architecture",
        ShipPhase.Plan => "plan",
        ShipPhase.Code => "code",
        _ => "unknown phase",
    };

    public static string Title(ShipPhase phase) => phase switch
    {
        ShipPhase.Architecture => "Architecture",
        ShipPhase.Plan => "Plan",
        ShipPhase.Code => "Code",
        _ => "Intent",
    };
}

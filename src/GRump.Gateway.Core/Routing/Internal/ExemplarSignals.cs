using GRump.Gateway.Chat;
using GRump.Gateway.Intent;

namespace GRump.Gateway.Routing.Internal;

/// <summary>
/// The heuristic run on an exemplar exactly as the router runs it on a live request (same token count, intent and
/// factors), so the learned models train on the signals they will see.
/// </summary>
internal static class ExemplarSignals
{
    public static HeuristicSignals Of(RoutingExemplar exemplar, IIntentCompiler compiler)
    {
        ArgumentNullException.ThrowIfNull(exemplar);
        ArgumentNullException.ThrowIfNull(compiler);
        var request = new ChatRequest { Messages = exemplar.Messages };
        var tokens = ChatTokens.CountPrompt(request);
        var factors = new List<ComplexityFactor>();
        var score = ComplexityAnalyzer.Analyze(request, tokens, compiler.Compile(ComplexityAnalyzer.TaskText(request)), factors);
        var signals = new HeuristicSignals(score, tokens);
        foreach (var factor in factors)
        {
            signals.Add(factor.Name, factor.Points);
        }

        return signals;
    }
}

using GRump.Gateway.Intent;
using GRump.Gateway.Tokens;
using GRump.Gateway.V1;

namespace GRump.Gateway.Routing.Internal;

/// <summary>
/// The heuristic run on an exemplar, as the router runs it on a live request (same token count, intent and factors), so
/// the learned models train on the signals they will see. The only place outside <see cref="ModelRouter"/> where the
/// classifier meets the heuristic's wire-typed input; it shrinks to a call when the heuristic takes domain types.
/// </summary>
internal static class ExemplarSignals
{
    public static HeuristicSignals Of(RoutingExemplar exemplar, IIntentCompiler compiler)
    {
        ArgumentNullException.ThrowIfNull(exemplar);
        ArgumentNullException.ThrowIfNull(compiler);
        var request = new ChatRequest();
        foreach (var turn in exemplar.Messages)
        {
            request.Messages.Add(new ChatMessage { Role = turn.Role, Content = turn.Content });
        }

        var tokens = TokenCounter.Shared.CountPrompt(exemplar.Messages);
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

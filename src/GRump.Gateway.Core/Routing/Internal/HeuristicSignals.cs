namespace GRump.Gateway.Routing.Internal;

/// <summary>
/// The heuristic's view of a request as numbers a learned model can weigh: its score, the points of each factor, the
/// prompt's tokens and the conversation's length. Filled from the factors the heuristic lists (by name), so it does not
/// depend on how the heuristic is computed or on wire types.
/// </summary>
internal sealed class HeuristicSignals
{
    /// <summary>Factor names in feature order (ComplexityAnalyzer's and MarkerTable's).</summary>
    public static readonly string[] FactorNames =
    [
        ComplexityAnalyzer.LengthFactor, ComplexityAnalyzer.MessageCountFactor, ComplexityAnalyzer.ModeFactor,
        "reasoning", "code", "multi_step", "accuracy", "creativity",
        ComplexityAnalyzer.CombinationFactor, ComplexityAnalyzer.IntentFactor,
    ];

    public HeuristicSignals(int score, int promptTokens)
    {
        Score = score;
        PromptTokens = promptTokens;
    }

    public int Score { get; }

    public int PromptTokens { get; }

    /// <summary>Points per factor, in <see cref="FactorNames"/> order (0 for a factor the heuristic did not list).</summary>
    public float[] Points { get; } = new float[FactorNames.Length];

    /// <summary>Adds a listed factor's points; names the model does not know are ignored.</summary>
    public void Add(string name, double points)
    {
        var at = Array.IndexOf(FactorNames, name);
        if (at >= 0)
        {
            Points[at] += (float)points;
        }
    }
}

namespace GRump.Gateway.Routing;

/// <summary>How much model a task needs (the labels of the routing corpus; the router's tiers). Ordered: higher needs more.</summary>
public enum TaskTier
{
    Simple = 0,
    Medium = 1,
    Complex = 2,
}

/// <summary>Tier names and score bands shared by the classifiers, the corpus and the wire mapping.</summary>
public static class TaskTiers
{
    /// <summary>Number of tiers (the length of a probability vector).</summary>
    public const int Count = 3;

    public static string Name(TaskTier tier) => tier switch
    {
        TaskTier.Simple => ComplexityTiers.Simple,
        TaskTier.Medium => ComplexityTiers.Medium,
        TaskTier.Complex => ComplexityTiers.Complex,
        _ => throw new ArgumentOutOfRangeException(nameof(tier), tier, "No tier name for this value."),
    };

    public static bool TryParse(string? name, out TaskTier tier)
    {
        switch (name?.Trim().ToLowerInvariant())
        {
            case ComplexityTiers.Simple:
                tier = TaskTier.Simple;
                return true;
            case ComplexityTiers.Medium:
                tier = TaskTier.Medium;
                return true;
            case ComplexityTiers.Complex:
                tier = TaskTier.Complex;
                return true;
            default:
                tier = default;
                return false;
        }
    }

    /// <summary>The tier of a complexity score: simple &lt; 30 ≤ medium &lt; 60 ≤ complex.</summary>
    public static TaskTier FromScore(int score) => score switch
    {
        >= ComplexityTiers.ComplexFrom => TaskTier.Complex,
        >= ComplexityTiers.MediumFrom => TaskTier.Medium,
        _ => TaskTier.Simple,
    };

    /// <summary><paramref name="score"/> moved into <paramref name="tier"/>'s band (unchanged when it is already there).</summary>
    public static int IntoBand(int score, TaskTier tier) => tier switch
    {
        TaskTier.Simple => Math.Min(score, ComplexityTiers.MediumFrom - 1),
        TaskTier.Medium => Math.Clamp(score, ComplexityTiers.MediumFrom, ComplexityTiers.ComplexFrom - 1),
        _ => Math.Max(score, ComplexityTiers.ComplexFrom),
    };
}

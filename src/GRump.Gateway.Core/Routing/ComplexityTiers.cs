using System.Collections.Frozen;

namespace GRump.Gateway.Routing;

/// <summary>The complexity tier names used in <see cref="ModelDefinition.Tiers"/>, the corpus labels and the score bands.</summary>
public static class ComplexityTiers
{
    /// <summary>Number of tiers (the length of a probability vector over them).</summary>
    public const int Count = 3;

    public const string Simple = "simple";
    public const string Medium = "medium";
    public const string Complex = "complex";

    /// <summary>Lower bound (inclusive) of the medium tier's score.</summary>
    public const int MediumFrom = 30;

    /// <summary>Lower bound (inclusive) of the complex tier's score.</summary>
    public const int ComplexFrom = 60;

    public static FrozenSet<string> All { get; } = FrozenSet.Create(StringComparer.OrdinalIgnoreCase, Simple, Medium, Complex);

    public static ComplexityTier FromScore(int score) => score switch
    {
        >= ComplexFrom => ComplexityTier.Complex,
        >= MediumFrom => ComplexityTier.Medium,
        _ => ComplexityTier.Simple,
    };

    public static string Name(ComplexityTier tier) => tier switch
    {
        ComplexityTier.Simple => Simple,
        ComplexityTier.Medium => Medium,
        ComplexityTier.Complex => Complex,
        _ => throw new ArgumentOutOfRangeException(nameof(tier), tier, "No tier name for this value."),
    };

    public static bool TryParse(string? name, out ComplexityTier tier)
    {
        switch (name?.Trim().ToLowerInvariant())
        {
            case Simple:
                tier = ComplexityTier.Simple;
                return true;
            case Medium:
                tier = ComplexityTier.Medium;
                return true;
            case Complex:
                tier = ComplexityTier.Complex;
                return true;
            default:
                tier = default;
                return false;
        }
    }

    /// <summary><paramref name="score"/> moved into <paramref name="tier"/>'s band (unchanged when it is already there).</summary>
    public static int IntoBand(int score, ComplexityTier tier) => tier switch
    {
        ComplexityTier.Simple => Math.Min(score, MediumFrom - 1),
        ComplexityTier.Medium => Math.Clamp(score, MediumFrom, ComplexFrom - 1),
        _ => Math.Max(score, ComplexFrom),
    };
}

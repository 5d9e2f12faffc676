using System.Collections.Frozen;

namespace GRump.Gateway.Routing;

/// <summary>The complexity tier names used in <see cref="ModelDefinition.Tiers"/>.</summary>
public static class ComplexityTiers
{
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
}

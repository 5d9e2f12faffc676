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

    public static V1.ComplexityTier FromScore(int score) => score switch
    {
        >= ComplexFrom => V1.ComplexityTier.Complex,
        >= MediumFrom => V1.ComplexityTier.Medium,
        _ => V1.ComplexityTier.Simple,
    };

    public static string Name(V1.ComplexityTier tier) => tier switch
    {
        V1.ComplexityTier.Simple => Simple,
        V1.ComplexityTier.Medium => Medium,
        V1.ComplexityTier.Complex => Complex,
        _ => throw new ArgumentOutOfRangeException(nameof(tier), tier, "No tier name for this value."),
    };
}

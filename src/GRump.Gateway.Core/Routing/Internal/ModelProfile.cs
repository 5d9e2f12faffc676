using System.Collections.Frozen;

namespace GRump.Gateway.Routing.Internal;

[Flags]
internal enum CapabilityFlags
{
    None = 0,
    Code = 1,
    Reasoning = 2,
    LongContext = 4,
    Vision = 8,
    FunctionCalling = 16,
    Embedding = 32,
}

[Flags]
internal enum TierFlags
{
    None = 0,
    Simple = 1,
    Medium = 2,
    Complex = 4,
}

/// <summary>A model as the router reads it: capabilities and tiers as bit sets, taken once at start.</summary>
internal sealed class ModelProfile
{
    private static readonly FrozenDictionary<string, CapabilityFlags> CapabilityByName = new Dictionary<string, CapabilityFlags>(StringComparer.OrdinalIgnoreCase)
    {
        [ModelCapabilities.Code] = CapabilityFlags.Code,
        [ModelCapabilities.Reasoning] = CapabilityFlags.Reasoning,
        [ModelCapabilities.LongContext] = CapabilityFlags.LongContext,
        [ModelCapabilities.Vision] = CapabilityFlags.Vision,
        [ModelCapabilities.FunctionCalling] = CapabilityFlags.FunctionCalling,
        [ModelCapabilities.Embedding] = CapabilityFlags.Embedding,
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    private static readonly FrozenDictionary<string, TierFlags> TierByName = new Dictionary<string, TierFlags>(StringComparer.OrdinalIgnoreCase)
    {
        [ComplexityTiers.Simple] = TierFlags.Simple,
        [ComplexityTiers.Medium] = TierFlags.Medium,
        [ComplexityTiers.Complex] = TierFlags.Complex,
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    public ModelProfile(ModelDefinition definition)
    {
        Definition = definition;
        foreach (var capability in definition.Capabilities)
        {
            Capabilities |= CapabilityByName.GetValueOrDefault(capability);
        }

        foreach (var tier in definition.Tiers)
        {
            Tiers |= TierByName.GetValueOrDefault(tier);
        }

        IsChat = !definition.IsEmbeddingOnly;
    }

    public ModelDefinition Definition { get; }

    public CapabilityFlags Capabilities { get; }

    public TierFlags Tiers { get; }

    public bool IsChat { get; }

    public static bool TryParseCapability(string name, out CapabilityFlags flag) => CapabilityByName.TryGetValue(name, out flag);

    public static TierFlags ToFlag(ComplexityTier tier) => tier switch
    {
        ComplexityTier.Simple => TierFlags.Simple,
        ComplexityTier.Medium => TierFlags.Medium,
        ComplexityTier.Complex => TierFlags.Complex,
        _ => TierFlags.None,
    };
}

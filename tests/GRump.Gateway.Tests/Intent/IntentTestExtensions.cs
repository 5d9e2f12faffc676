using GRump.Gateway.Intent;

namespace GRump.Gateway.Tests.Intent;

/// <summary>Small lookups over a compiled intent, so assertions read like the spec.</summary>
internal static class IntentTestExtensions
{
    public static TechHint? Tech(this ParsedIntent intent, string canonical) =>
        intent.EnrichedTech.Where(t => t.Canonical == canonical).Cast<TechHint?>().FirstOrDefault();

    public static FeatureEntry? Feature(this ParsedIntent intent, string name) =>
        intent.EnrichedFeatures.Where(f => f.Name == name).Cast<FeatureEntry?>().FirstOrDefault();

    public static bool HasEdge(this ParsedIntent intent, string from, string to) =>
        intent.DependencyGraph.Any(e => e.From == from && e.To == to);

    public static string[] Canonicals(this ParsedIntent intent) =>
        [.. intent.EnrichedTech.Select(t => t.Canonical)];
}

using GRump.Gateway.V1;

namespace GRump.Gateway.Tests.Intent;

/// <summary>Small lookups over a compiled intent, so assertions read like the spec.</summary>
internal static class IntentTestExtensions
{
    public static TechHint? Tech(this GRump.Gateway.V1.Intent intent, string canonical) =>
        intent.EnrichedTech.FirstOrDefault(t => t.Canonical == canonical);

    public static FeatureEntry? Feature(this GRump.Gateway.V1.Intent intent, string name) =>
        intent.EnrichedFeatures.FirstOrDefault(f => f.Name == name);

    public static bool HasEdge(this GRump.Gateway.V1.Intent intent, string from, string to) =>
        intent.DependencyGraph.Any(e => e.From == from && e.To == to);

    public static string[] Canonicals(this GRump.Gateway.V1.Intent intent) =>
        [.. intent.EnrichedTech.Select(t => t.Canonical)];
}

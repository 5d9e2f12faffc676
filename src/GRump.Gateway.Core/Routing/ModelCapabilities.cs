using System.Collections.Frozen;

namespace GRump.Gateway.Routing;

/// <summary>The capability names a model may declare and a request may require (case-insensitive).</summary>
public static class ModelCapabilities
{
    public const string Code = "code";
    public const string Reasoning = "reasoning";
    public const string LongContext = "long-context";
    public const string Vision = "vision";
    public const string FunctionCalling = "function-calling";
    public const string Embedding = "embedding";

    public static FrozenSet<string> All { get; } =
        FrozenSet.Create(StringComparer.OrdinalIgnoreCase, Code, Reasoning, LongContext, Vision, FunctionCalling, Embedding);
}

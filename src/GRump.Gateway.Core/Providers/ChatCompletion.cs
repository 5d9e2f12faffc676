namespace GRump.Gateway.Providers;

/// <summary>A whole (non-streamed) completion.</summary>
public sealed record ChatCompletion(string Content, string FinishReason, ProviderUsage Usage);

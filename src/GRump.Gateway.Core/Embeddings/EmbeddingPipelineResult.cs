namespace GRump.Gateway.Embeddings;

/// <summary>
/// What one Embed call produced: one vector per input, in input order (arrays may be shared with other callers that
/// asked for the same text — read them, do not change them), the model and provider that made them, the input tokens
/// attributed to this call and their cost.
/// </summary>
public sealed record EmbeddingPipelineResult(IReadOnlyList<float[]> Vectors, string Model, string Provider, long InputTokens, double CostUsd);

namespace GRump.Gateway.Hosting;

/// <summary>
/// One size limit per door (README, "Limits"). Field-level limits (texts, inputs, messages) are the features' own and
/// answer INVALID_ARGUMENT naming the field; these bound what is read at all.
/// </summary>
public static class RequestLimits
{
    /// <summary>gRPC: one request message (grpc-dotnet's default, set explicitly); over it → RESOURCE_EXHAUSTED.</summary>
    public const int GrpcMaxMessageBytes = 4 << 20;

    /// <summary>REST (<c>/api/*</c>, JSON transcoding of the same contract): one request body; over it → 413.</summary>
    public const int RestMaxBodyBytes = 4 << 20;

    /// <summary>OpenAI-compatible <c>/v1</c>: one request body; over it → 413.</summary>
    public const int OpenAiMaxBodyBytes = 32 << 20;
}

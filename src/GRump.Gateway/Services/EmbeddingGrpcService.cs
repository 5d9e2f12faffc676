using Grpc.Core;
using GRump.Gateway.Auth;
using GRump.Gateway.Chat;
using GRump.Gateway.Embeddings;
using GRump.Gateway.Errors;
using GRump.Gateway.V1;

namespace GRump.Gateway.Services;

/// <summary>EmbeddingService over gRPC and REST (<c>POST /api/embeddings</c>). All work is in <see cref="EmbeddingPipeline"/>.</summary>
internal sealed class EmbeddingGrpcService(EmbeddingPipeline pipeline) : EmbeddingService.EmbeddingServiceBase
{
    public override async Task<EmbedResponse> Embed(EmbedRequest request, ServerCallContext context)
    {
        // The providers send NIM's retrieval models input_type "query"; anything else would be silently ignored.
        if (request.InputType.Length > 0 && request.InputType != "query")
        {
            GatewayErrors.ThrowInvalidArgument("input_type", "only 'query' (or empty) is supported by this gateway version");
        }
        // Embeddings are deterministic: unset means the cache is on (chat's default policy is about sampled answers).
        var cache = ChatMapper.ToDomain(request.Cache);
        if (!Enum.IsDefined(cache))
        {
            GatewayErrors.ThrowInvalidArgument("cache", $"unknown cache mode {(int)request.Cache}");
        }
        var result = await pipeline.EmbedAsync(context.GetHttpContext().GetCaller().Tenant, request.Model, request.Inputs, dimensions: null, cache.ToAccess(), context.CancellationToken).ConfigureAwait(false);
        var response = new EmbedResponse
        {
            Model = result.Model,
            Provider = result.Provider,
            CostUsd = result.CostUsd,
            Usage = new EmbeddingUsage { PromptTokens = result.InputTokens, TotalTokens = result.InputTokens },
        };
        for (var i = 0; i < result.Vectors.Count; i++)
        {
            var embedding = new Embedding { Index = i, Cache = i < result.Layers.Count ? ChatMapper.ToProto(result.Layers[i]) : CacheTier.Miss };
            embedding.Values.AddRange(result.Vectors[i]);
            response.Embeddings.Add(embedding);
        }
        return response;
    }
}

using Grpc.Core;
using GRump.Gateway.Auth;
using GRump.Gateway.Chat;
using GRump.Gateway.V1;

namespace GRump.Gateway.Services;

/// <summary>ChatService over gRPC and REST (transcoding; <c>/api/chat/stream</c> is NDJSON). All work is in <see cref="ChatPipeline"/>.</summary>
internal sealed class ChatGrpcService(ChatPipeline pipeline) : ChatService.ChatServiceBase
{
    public override Task<CompleteResponse> Complete(CompleteRequest request, ServerCallContext context) =>
        pipeline.CompleteAsync(request.Chat, context.GetHttpContext().GetCaller(), context.CancellationToken);

    public override async Task StreamComplete(StreamCompleteRequest request, IServerStreamWriter<StreamCompleteResponse> responseStream, ServerCallContext context)
    {
        await foreach (var item in pipeline.StreamAsync(request.Chat, context.GetHttpContext().GetCaller(), context.CancellationToken).ConfigureAwait(false))
        {
            await responseStream.WriteAsync(item, context.CancellationToken).ConfigureAwait(false);
        }
    }

    public override async Task ParallelComplete(ParallelCompleteRequest request, IServerStreamWriter<ParallelCompleteResponse> responseStream, ServerCallContext context)
    {
        await foreach (var item in pipeline.ParallelAsync(request.Requests, request.MaxConcurrency, context.GetHttpContext().GetCaller(), context.CancellationToken).ConfigureAwait(false))
        {
            await responseStream.WriteAsync(item, context.CancellationToken).ConfigureAwait(false);
        }
    }
}

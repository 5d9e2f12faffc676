using Grpc.Core;
using GRump.Gateway.Auth;
using GRump.Gateway.Chat;
using GRump.Gateway.V1;

namespace GRump.Gateway.Services;

/// <summary>
/// ChatService over gRPC and REST (transcoding; <c>/api/chat/stream</c> is NDJSON): the contract translated by
/// <see cref="ChatMapper"/>, all work in <see cref="ChatPipeline"/>.
/// </summary>
internal sealed class ChatGrpcService(ChatPipeline pipeline) : ChatService.ChatServiceBase
{
    public override async Task<CompleteResponse> Complete(CompleteRequest request, ServerCallContext context)
    {
        try
        {
            var result = await pipeline.CompleteAsync(ChatMapper.ToDomain(request.Chat), context.GetHttpContext().GetCaller(), context.CancellationToken).ConfigureAwait(false);
            return ChatMapper.ToProto(result);
        }
        catch (Errors.GatewayException ex) when (ex.Kind == Errors.GatewayErrorKind.InvalidArgument)
        {
            throw ChatMapper.InRequestTerms(ex, request.Chat);
        }
    }

    public override async Task StreamComplete(StreamCompleteRequest request, IServerStreamWriter<StreamCompleteResponse> responseStream, ServerCallContext context)
    {
        var chat = ChatMapper.ToDomain(request.Chat);
        try
        {
            await foreach (var item in pipeline.StreamAsync(chat, context.GetHttpContext().GetCaller(), context.CancellationToken).ConfigureAwait(false))
            {
                await responseStream.WriteAsync(ChatMapper.ToProto(item), context.CancellationToken).ConfigureAwait(false);
            }
        }
        catch (Errors.GatewayException ex) when (ex.Kind == Errors.GatewayErrorKind.InvalidArgument)
        {
            throw ChatMapper.InRequestTerms(ex, request.Chat);
        }
    }

    public override async Task ParallelComplete(ParallelCompleteRequest request, IServerStreamWriter<ParallelCompleteResponse> responseStream, ServerCallContext context)
    {
        // A malformed item is that item's error, like any other failure of one item.
        var requests = new Chat.ChatRequest?[request.Requests.Count];
        var invalid = new Errors.GatewayException?[requests.Length];
        for (var i = 0; i < requests.Length; i++)
        {
            try
            {
                requests[i] = ChatMapper.ToDomain(request.Requests[i]);
            }
            catch (Errors.GatewayException ex)
            {
                invalid[i] = ex;
            }
        }

        await foreach (var item in pipeline.ParallelAsync(requests, request.MaxConcurrency, context.GetHttpContext().GetCaller(), context.CancellationToken).ConfigureAwait(false))
        {
            var response = new ParallelCompleteResponse { Index = item.Index };
            if (item.Result is { } result)
            {
                response.Response = ChatMapper.ToProto(result);
            }
            else
            {
                response.Error = ChatMapper.ToProto(invalid[item.Index] ?? ChatMapper.InRequestTerms(item.Error!, request.Requests[item.Index]));
            }

            await responseStream.WriteAsync(response, context.CancellationToken).ConfigureAwait(false);
        }
    }
}

using Google.Protobuf;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace GRump.Gateway.Endpoints;

/// <summary>
/// Counts a gRPC call's request message (its size on the wire) against <see cref="RequestBytesInFlight"/> while its
/// handler runs; over the bound the call is RESOURCE_EXHAUSTED before its handler runs. Every method of the contract
/// takes one request message (unary or server streaming). A REST call transcoded to a method was counted when its body
/// was read (<see cref="JsonBody"/> leaves its lease on the request), so it is not counted twice. The lease goes back as
/// the handler ends, before the status reaches the client: a client's next call never finds this one's bytes still held.
/// </summary>
internal sealed class RequestBytesInterceptor(RequestBytesInFlight bytes) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        using var lease = Take(request, context);
        return await continuation(request, context).ConfigureAwait(false);
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        using var lease = Take(request, context);
        await continuation(request, responseStream, context).ConfigureAwait(false);
    }

    private RequestBytesInFlight.Lease? Take<TRequest>(TRequest request, ServerCallContext context) =>
        request is IMessage message && context.GetHttpContext().Features.Get<RequestBytesInFlight.Lease>() is null
            ? bytes.Take(message.CalculateSize())
            : null;
}

using Grpc.Core;
using Grpc.Core.Interceptors;
using GRump.Gateway.Errors;

namespace GRump.Gateway.Endpoints;

/// <summary>
/// Turns the gateway's known failures into their gRPC status (and, through transcoding, HTTP status) in one place:
/// <see cref="GatewayException"/> by its kind, a client that went away (cancelled, or the stream reset under a read or write) as CANCELLED, and a contract method whose
/// feature is not built yet as UNIMPLEMENTED with a message that says so. Anything else is a bug and logs at Error.
/// </summary>
internal sealed class GatewayExceptionInterceptor(ILogger<GatewayExceptionInterceptor> logger) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context).ConfigureAwait(false);
        }
        catch (Exception exception) when (Translate(exception, context) is { } translated)
        {
            throw translated;
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(request, responseStream, context).ConfigureAwait(false);
        }
        catch (Exception exception) when (Translate(exception, context) is { } translated)
        {
            throw translated;
        }
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(requestStream, context).ConfigureAwait(false);
        }
        catch (Exception exception) when (Translate(exception, context) is { } translated)
        {
            throw translated;
        }
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(requestStream, responseStream, context).ConfigureAwait(false);
        }
        catch (Exception exception) when (Translate(exception, context) is { } translated)
        {
            throw translated;
        }
    }

    private RpcException? Translate(Exception exception, ServerCallContext context)
    {
        switch (exception)
        {
            case GatewayException gateway:
                GrpcLog.KnownFailure(logger, context.Method, gateway.Kind, gateway.Message);
                return GatewayStatus.ToRpcException(gateway);
            case IOException:
            case Exception when context.CancellationToken.IsCancellationRequested:
                // The client reset the stream or went away. Kestrel cancels RequestAborted on the thread pool, so a read or
                // write can fail with IOException before the token says so (in a handler an IOException is the transport:
                // our own file and database I/O reports GatewayExceptions), and once it does grpc-dotnet's reader throws
                // InvalidOperationException. Either way the call is over by the client's choice: not an Error line.
                GrpcLog.ClientCancelled(logger, context.Method);
                return new RpcException(new Status(StatusCode.Cancelled, "The call was cancelled by the client or its deadline."));
            case RpcException { StatusCode: StatusCode.Unimplemented } rpc when string.IsNullOrEmpty(rpc.Status.Detail):
                // The generated base class answers every method it does not override with an empty UNIMPLEMENTED.
                return new RpcException(new Status(StatusCode.Unimplemented, $"{context.Method} is part of the contract but its feature is not built yet in this gateway version."));
            default:
                return null;
        }
    }
}

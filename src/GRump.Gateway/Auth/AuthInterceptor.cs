using Grpc.Core;
using Grpc.Core.Interceptors;

namespace GRump.Gateway.Auth;

/// <summary>
/// Authenticates every gRPC call (and so every transcoded REST call) before its handler runs, except health checks
/// and reflection, which stay open for probes and tools. Registered inside the exception interceptor, so a bad key
/// is UNAUTHENTICATED (HTTP 401).
/// </summary>
internal sealed class AuthInterceptor : Interceptor
{
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Authenticate(context);
        return continuation(request, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authenticate(context);
        return continuation(request, responseStream, context);
    }

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authenticate(context);
        return continuation(requestStream, context);
    }

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authenticate(context);
        return continuation(requestStream, responseStream, context);
    }

    private static void Authenticate(ServerCallContext context)
    {
        var method = context.Method;
        if (method.StartsWith("/grpc.health.", StringComparison.Ordinal) || method.StartsWith("/grpc.reflection.", StringComparison.Ordinal))
        {
            return;
        }
        context.GetHttpContext().GetCaller();
    }
}

using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;

namespace GRump.Gateway.Endpoints.Internal;

/// <summary>
/// Binds every gRPC service as grpc-dotnet's own binder does (the generated <c>BindService</c> method, found through
/// <see cref="BindServiceMethodAttribute"/>), with one change: each method's request marshaller is wrapped by
/// <see cref="RequestFrameGuard"/>. grpc-dotnet deserializes a unary or server-streaming request before any
/// interceptor runs, and a frame that does not parse would otherwise be answered UNKNOWN and logged at Error with a
/// stack trace — by anyone, since it happens before authentication. It replaces grpc-dotnet's internal
/// <c>BinderServiceMethodProvider&lt;&gt;</c>, so reflection and health are covered too.
/// </summary>
internal sealed class GuardedBinderMethodProvider<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.All)] TService>(ILoggerFactory loggerFactory)
    : IServiceMethodProvider<TService>
    where TService : class
{
    private readonly ILogger _logger = loggerFactory.CreateLogger("GRump.Gateway.Endpoints.RequestFrames");

    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<TService> context)
    {
        for (Type? type = typeof(TService); type is not null; type = type.BaseType)
        {
            if (type.GetCustomAttribute<BindServiceMethodAttribute>() is { } bind)
            {
                var method = bind.BindType.GetMethod(bind.BindMethodName, BindingFlags.Public | BindingFlags.Static, [typeof(ServiceBinderBase), type])
                    ?? throw new InvalidOperationException($"{bind.BindType}.{bind.BindMethodName} not found for gRPC service '{typeof(TService).Name}'.");
                // The generated base type is the bind method's second parameter (the attribute is inherited, so `type` may be TService).
                method.Invoke(null, [new Binder(context, method.GetParameters()[1].ParameterType, _logger), null]);
                return;
            }
        }
        // Not a generated service (grpc-dotnet's ServiceDefinitionMethodProvider handles code-first definitions).
    }

    private sealed class Binder(ServiceMethodProviderContext<TService> context, Type serviceBase, ILogger logger) : ServiceBinderBase
    {
        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler) =>
            context.AddUnaryMethod(Guard(method), Metadata(method.Name, out var target, typeof(TRequest), typeof(ServerCallContext)),
                Invoker<UnaryServerMethod<TService, TRequest, TResponse>>(target));

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse>? handler) =>
            context.AddServerStreamingMethod(Guard(method), Metadata(method.Name, out var target, typeof(TRequest), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext)),
                Invoker<ServerStreamingServerMethod<TService, TRequest, TResponse>>(target));

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse>? handler) =>
            context.AddClientStreamingMethod(Guard(method), Metadata(method.Name, out var target, typeof(IAsyncStreamReader<TRequest>), typeof(ServerCallContext)),
                Invoker<ClientStreamingServerMethod<TService, TRequest, TResponse>>(target));

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse>? handler) =>
            context.AddDuplexStreamingMethod(Guard(method), Metadata(method.Name, out var target, typeof(IAsyncStreamReader<TRequest>), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext)),
                Invoker<DuplexStreamingServerMethod<TService, TRequest, TResponse>>(target));

        private Method<TRequest, TResponse> Guard<TRequest, TResponse>(Method<TRequest, TResponse> method)
            where TRequest : class
            where TResponse : class =>
            new(method.Type, method.ServiceName, method.Name, RequestFrameGuard.Wrap(method.RequestMarshaller, method.FullName, logger), method.ResponseMarshaller);

        private static TDelegate Invoker<TDelegate>(MethodInfo target)
            where TDelegate : Delegate => (TDelegate)Delegate.CreateDelegate(typeof(TDelegate), target);

        /// <summary>The service's override of the generated method, and the endpoint metadata grpc-dotnet gives it (type, then method attributes; POST).</summary>
        private List<object> Metadata(string name, out MethodInfo target, params Type[] parameters)
        {
            target = FindOverride(name, parameters) ?? throw new InvalidOperationException($"Could not find '{name}' on {typeof(TService)}.");
            var metadata = new List<object>();
            metadata.AddRange(typeof(TService).GetCustomAttributes(inherit: true));
            metadata.AddRange(target.GetCustomAttributes(inherit: true));
            metadata.Add(new HttpMethodMetadata(["POST"], acceptCorsPreflight: true));
            return metadata;
        }

        /// <summary>The public instance method that overrides the generated base's virtual one (a method that merely hides it does not count).</summary>
        private MethodInfo? FindOverride(string name, Type[] parameters)
        {
            for (Type? type = typeof(TService); type is not null; type = type.BaseType)
            {
                var candidate = type.GetMethod(name, BindingFlags.Public | BindingFlags.Instance, binder: null, parameters, modifiers: null);
                if (candidate is null)
                {
                    return null;
                }
                if (candidate.IsVirtual && candidate.GetBaseDefinition().DeclaringType == serviceBase)
                {
                    return candidate;
                }
            }
            return null;
        }
    }
}

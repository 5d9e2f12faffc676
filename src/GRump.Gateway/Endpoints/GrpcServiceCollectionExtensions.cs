using Google.Protobuf.Reflection;
using Google.Rpc;
using Grpc.AspNetCore.Server;
using Grpc.AspNetCore.Server.Model;
using GRump.Gateway.Anthropic;
using GRump.Gateway.Auth;
using GRump.Gateway.Dashboard;
using GRump.Gateway.Diagnostics;
using GRump.Gateway.Endpoints.Internal;
using GRump.Gateway.Hosting;
using GRump.Gateway.OpenAi;
using GRump.Gateway.Passthrough;
using GRump.Gateway.Services;
using GRump.Gateway.Workers;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace GRump.Gateway.Endpoints;

/// <summary>gRPC with JSON transcoding, reflection, health, and the gateway's error mapping; and their endpoints.</summary>
public static class GrpcServiceCollectionExtensions
{
    public static IServiceCollection AddGatewayGrpc(this IServiceCollection services)
    {
        services.AddGrpc(options =>
        {
            options.Interceptors.Add<GatewayExceptionInterceptor>();
            options.Interceptors.Add<AuthInterceptor>();
            options.Interceptors.Add<RequestBytesInterceptor>();
            options.EnableDetailedErrors = false;
            options.MaxReceiveMessageSize = RequestLimits.GrpcMaxMessageBytes;
        }).AddJsonTranscoding(options =>
        {
            // Defaults included and int64 as numbers: what the seed's REST clients read (see tests for both readers).
            options.JsonSettings.IgnoreDefaultValues = false;
            options.JsonSettings.WriteInt64sAsStrings = false;
            options.JsonSettings.WriteEnumsAsIntegers = false;

            // Error bodies carry google.rpc details (field violations, retry info) as Any: JSON needs their types.
            options.TypeRegistry = TypeRegistry.FromMessages(BadRequest.Descriptor, ErrorInfo.Descriptor, RetryInfo.Descriptor, QuotaFailure.Descriptor);
        });
        services.AddSingleton<RequestBytesInFlight>();
        // Stateless: one instance each. An interceptor not registered in DI is created anew for every call.
        services.AddSingleton<GatewayExceptionInterceptor>();
        services.AddSingleton<AuthInterceptor>();
        services.AddSingleton<RequestBytesInterceptor>();
        // The services are stateless too. One not registered is created for every call by a factory that grpc-dotnet
        // compiles from an expression tree on the first call (loading System.Linq.Expressions: issue 22).
        services.AddSingleton<IntentGrpcService>();
        services.AddSingleton<ChatGrpcService>();
        services.AddSingleton<RoutingGrpcService>();
        services.AddSingleton<EmbeddingGrpcService>();
        services.AddSingleton<CostGrpcService>();
        services.AddSingleton<CacheGrpcService>();
        services.AddSingleton<WorkflowGrpcService>();
        UseGuardedRequestMarshallers(services);
        // After grpc-dotnet's own setup has added gzip and deflate: wrap each so a corrupt compressed frame is INTERNAL too.
        services.AddOptions<GrpcServiceOptions>().PostConfigure<ILoggerFactory>((options, loggers) =>
        {
            var logger = loggers.CreateLogger("GRump.Gateway.Endpoints.RequestFrames");
            for (var i = 0; i < options.CompressionProviders.Count; i++)
            {
                options.CompressionProviders[i] = new GuardedCompressionProvider(options.CompressionProviders[i], logger);
            }
        });
        services.AddGrpcReflection();
        services.AddSingleton<LedgerHealthCheck>();
        services.AddHealthChecks().AddCheck<WorkerPoolHealthCheck>("workers", tags: ["ready"]).AddCheck<LedgerHealthCheck>("ledger", tags: ["ready"]);
        services.AddGrpcHealthChecks();
        return services;
    }

    /// <summary>
    /// Swaps grpc-dotnet's binder (its internal <c>BinderServiceMethodProvider&lt;&gt;</c>, registered open-generic by
    /// AddGrpc) for <see cref="GuardedBinderMethodProvider{TService}"/>: same methods, request marshallers that turn a
    /// frame that does not deserialize into INTERNAL instead of UNKNOWN and an Error log.
    /// </summary>
    private static void UseGuardedRequestMarshallers(IServiceCollection services)
    {
        var binder = services.Single(d => d.ServiceType == typeof(IServiceMethodProvider<>) && d.ImplementationType is { Name: "BinderServiceMethodProvider`1" });
        services.Remove(binder);
        services.TryAddEnumerable(Microsoft.Extensions.DependencyInjection.ServiceDescriptor.Singleton(typeof(IServiceMethodProvider<>), typeof(GuardedBinderMethodProvider<>)));
    }

    public static WebApplication MapGatewayEndpoints(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseRequestPathGuard();
        var requests = app.Services.GetRequiredService<RequestCounter>();
        app.Use((context, next) =>
        {
            requests.Increment();
            return next(context);
        });
        app.UseMetricsAuthorization();
        app.UseRestBodyGuard();
        app.MapGrpcService<IntentGrpcService>();
        app.MapGrpcService<ChatGrpcService>();
        app.MapGrpcService<RoutingGrpcService>();
        app.MapGrpcService<EmbeddingGrpcService>();
        app.MapGrpcService<CostGrpcService>();
        app.MapGrpcService<CacheGrpcService>();
        app.MapGrpcService<WorkflowGrpcService>();
        app.MapGrpcReflectionService();
        app.MapGrpcHealthChecksService();
        app.MapHealthChecks("/healthz", new() { Predicate = _ => false });
        app.MapHealthChecks("/readyz", new() { Predicate = check => check.Tags.Contains("ready") });
        if (TelemetryServiceCollectionExtensions.Enabled(app.Configuration))
        {
            app.MapPrometheusScrapingEndpoint("/metrics");
        }
        app.MapOpenAiEndpoints();
        app.MapAnthropicEndpoints();
        app.MapPassthrough();
        app.MapDashboard();
        // No routes: this activates the provider clusters' health checks (the chat path and passthrough send through them).
        app.MapReverseProxy();
        return app;
    }

    /// <summary>Not ready while the worker queue is nearly full: a balancer should send work elsewhere.</summary>
    private sealed class WorkerPoolHealthCheck(WorkerPool pool) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var stats = pool.GetStats();
            var result = stats.QueueDepth >= Math.Max(1, stats.QueueCapacity * 9 / 10)
                ? HealthCheckResult.Unhealthy($"worker queue {stats.QueueDepth}/{stats.QueueCapacity}")
                : HealthCheckResult.Healthy($"worker queue {stats.QueueDepth}/{stats.QueueCapacity}");
            return Task.FromResult(result);
        }
    }
}

using GRump.Gateway.Auth;
using GRump.Gateway.Caching;
using GRump.Gateway.Chat;
using GRump.Gateway.Cost;
using GRump.Gateway.Diagnostics;
using GRump.Gateway.Embeddings;
using GRump.Gateway.Intent;
using GRump.Gateway.Memory;
using GRump.Gateway.Providers;
using GRump.Gateway.Routing;
using GRump.Gateway.Storage;
using GRump.Gateway.Workers;
using GRump.Gateway.Workflows;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace GRump.Gateway;

public static class GatewayServiceCollectionExtensions
{
    /// <summary>
    /// The gateway's core, feature by feature: each <c>Add…</c> registers its own types and options (validated at
    /// start); the doors (gRPC, REST, OpenAI, Anthropic, the dashboard) are the host's.
    /// </summary>
    public static IServiceCollection AddGrumpGateway(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddDataPath();
        services.AddWorkerPool();
        services.AddIntentCompiler();
        services.AddApiKeyAuth();
        services.AddModelRouting();
        services.AddTieredCache();
        services.AddProviders(configuration);
        services.AddCostLedger();
        services.AddPerformanceMonitor();
        services.AddIdleMemoryTrim();
        services.AddChat();
        services.AddEmbeddings();
        services.AddWorkflows();
        return services;
    }
}

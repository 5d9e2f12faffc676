using GRump.Gateway.Auth;
using GRump.Gateway.Cost;
using GRump.Gateway.Passthrough.Internal;
using GRump.Gateway.Providers;
using GRump.Gateway.Providers.Internal;
using GRump.Gateway.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Forwarder;

namespace GRump.Gateway.Passthrough;

public static class PassthroughServiceCollectionExtensions
{
    /// <summary>
    /// The <c>/v1</c> passthrough: its allow-list (<c>Passthrough</c>, validated at start; empty by default) and the
    /// proxy. Needs the providers, the ledger, the model registry and the rate limiter (AddChat, AddModelRouting,
    /// AddApiKeyAuth). The host maps the route.
    /// </summary>
    public static IServiceCollection AddPassthrough(this IServiceCollection services)
    {
        services.AddOptions<PassthroughOptions>().BindConfiguration(PassthroughOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PassthroughOptions>, PassthroughOptionsValidator>());
        services.TryAddSingleton(sp => new PassthroughProxy(
            sp.GetRequiredService<IOptions<PassthroughOptions>>().Value,
            ProviderSettings.Read(sp.GetRequiredService<IConfiguration>()),
            sp.GetRequiredService<ModelRegistry>(),
            sp.GetRequiredService<IOptions<ModelRegistryOptions>>().Value.DefaultMaxOutputTokens,
            sp.GetRequiredService<IHttpForwarder>(),
            sp.GetRequiredService<UpstreamClusters>(),
            sp.GetRequiredService<TenantRateLimiter>(),
            sp.GetRequiredService<CostLedger>(),
            sp.GetRequiredService<ProviderMetrics>(),
            sp.GetRequiredService<ILogger<PassthroughProxy>>()));
        return services;
    }
}

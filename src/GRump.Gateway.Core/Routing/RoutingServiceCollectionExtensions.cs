using GRump.Gateway.Diagnostics;
using GRump.Gateway.Intent;
using GRump.Gateway.Routing.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace GRump.Gateway.Routing;

/// <summary>Registers the model registry (bound from <c>Routing</c>, validated at start), the router and its metrics.</summary>
public static class RoutingServiceCollectionExtensions
{
    /// <summary>
    /// Named so as not to clash with ASP.NET Core's <c>AddRouting</c>. Needs an <see cref="Providers.IProviderDirectory"/>
    /// (the provider layer's, or the host's stand-in).
    /// </summary>
    public static IServiceCollection AddModelRouting(this IServiceCollection services)
    {
        services.AddOptions<ModelRegistryOptions>().BindConfiguration(ModelRegistryOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ModelRegistryOptions>, ModelRegistryValidator>());
        services.AddMetrics();
        services.TryAddSingleton<IIntentCompiler, IntentCompiler>();
        services.TryAddSingleton<RoutingMetrics>();
        services.TryAddSingleton<ModelRegistry>();
        services.TryAddSingleton<ModelRouter>();
        return services;
    }
}

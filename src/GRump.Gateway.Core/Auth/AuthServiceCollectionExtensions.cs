using GRump.Gateway.Caching;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace GRump.Gateway.Auth;

public static class AuthServiceCollectionExtensions
{
    /// <summary>API keys, callers and the per-tenant rate limiter. Idempotent (the embedding pipeline calls it too).</summary>
    public static IServiceCollection AddApiKeyAuth(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(TenantRateLimiter)))
        {
            return services;
        }

        services.AddMetrics();
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AuthOptions>, AuthOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddRedisOptions();
        services.TryAddSingleton<ApiKeyAuthenticator>();
        services.TryAddSingleton<TenantRateLimiter>();
        return services;
    }
}

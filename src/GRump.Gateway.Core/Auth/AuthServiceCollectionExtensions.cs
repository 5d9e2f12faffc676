using GRump.Gateway.Caching;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
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
        services.AddHostedService<RateLimiterStartup>();
        return services;
    }

    /// <summary>Builds the rate limiter as the gateway starts, so its Redis connection is up before the first request.</summary>
    private sealed class RateLimiterStartup(TenantRateLimiter limiter) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            GC.KeepAlive(limiter);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

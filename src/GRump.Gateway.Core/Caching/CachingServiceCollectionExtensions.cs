using GRump.Gateway.Caching.Internal;
using GRump.Gateway.Diagnostics;
using GRump.Gateway.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GRump.Gateway.Caching;

/// <summary>Registers the tiered cache (<c>Cache</c> and <c>Redis</c> sections, validated at start) and its warm-up.</summary>
public static class CachingServiceCollectionExtensions
{
    public static IServiceCollection AddTieredCache(this IServiceCollection services)
    {
        services.AddOptions<CacheOptions>().BindConfiguration(CacheOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<CacheOptions>, CacheOptionsValidator>();
        services.AddDataPath();
        services.AddRedisOptions();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<CacheMetrics>();
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<CacheOptions>>().Value;
            var l3Path = string.IsNullOrWhiteSpace(options.L3Path)
                ? sp.GetRequiredService<IOptions<DataPathOptions>>().Value.PathOf("cache")
                : options.L3Path;
            return new TieredCache(
                options,
                sp.GetRequiredService<RedisConnection>(),
                l3Path,
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<CacheMetrics>(),
                sp.GetRequiredService<ILoggerFactory>().CreateLogger("GRump.Gateway.Caching"));
        });
        services.TryAddSingleton<ITieredCache>(sp => sp.GetRequiredService<TieredCache>());
        services.TryAddSingleton<CacheWarmer>();
        services.AddHostedService(sp => sp.GetRequiredService<TieredCache>());
        services.AddHostedService<CacheWarmFileLoader>();
        return services;
    }

    /// <summary>
    /// The <c>Redis</c> section (empty = <c>GRUMP_REDIS</c>) and the one <see cref="RedisConnection"/> the L2 cache, the
    /// ledger and the rate limiter share, connecting as the gateway starts. Idempotent: every Redis user calls it.
    /// </summary>
    public static IServiceCollection AddRedisOptions(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(RedisConnection)))
        {
            return services;
        }

        services.AddOptions<RedisOptions>().BindConfiguration(RedisOptions.SectionName).Configure<IConfiguration>((options, configuration) =>
        {
            if (string.IsNullOrWhiteSpace(options.Configuration))
            {
                options.Configuration = configuration[RedisOptions.EnvironmentVariable] ?? string.Empty;
            }
        });
        services.AddSingleton<RedisConnection>();
        services.AddHostedService<RedisConnectionStartup>();
        return services;
    }

    /// <summary>
    /// Starts the connect as the gateway starts, without waiting for it (a Redis that is down must not hold the start):
    /// a first connect slower than the rate limiter's timeout would otherwise count as an outage at the first request.
    /// </summary>
    private sealed class RedisConnectionStartup(RedisConnection connection) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            connection.StartConnecting();
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>A configured warm file must exist: a typo fails the start, not the first cache miss.</summary>
    private sealed class CacheOptionsValidator : IValidateOptions<CacheOptions>
    {
        public ValidateOptionsResult Validate(string? name, CacheOptions options) =>
            !string.IsNullOrEmpty(options.WarmFile) && !File.Exists(options.WarmFile)
                ? ValidateOptionsResult.Fail($"Cache:WarmFile '{options.WarmFile}' does not exist.")
                : ValidateOptionsResult.Success;
    }

    /// <summary>Loads <see cref="CacheOptions.WarmFile"/> before the gateway listens.</summary>
    private sealed class CacheWarmFileLoader(CacheWarmer warmer, IOptions<CacheOptions> options, ILoggerFactory loggers) : IHostedService
    {
        public async Task StartAsync(CancellationToken cancellationToken)
        {
            var file = options.Value.WarmFile;
            if (string.IsNullOrEmpty(file))
            {
                return;
            }

            var count = await warmer.WarmFromFileAsync(file, cancellationToken).ConfigureAwait(false);
            CachingLog.Warmed(loggers.CreateLogger("GRump.Gateway.Caching"), count, file);
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

using GRump.Gateway.Cost.Internal;
using System.Diagnostics.Metrics;
using GRump.Gateway.Caching;
using GRump.Gateway.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GRump.Gateway.Cost;

public static class CostServiceCollectionExtensions
{
    /// <summary>The cost ledger: SQLite under <c>Gateway:DataPath</c>, or Redis when <c>Redis:Configuration</c>/<c>GRUMP_REDIS</c> is set, with a local journal under <c>Gateway:DataPath</c> for outages (docs/cost.md).</summary>
    public static IServiceCollection AddCostLedger(this IServiceCollection services)
    {
        services.AddOptions<CostOptions>().BindConfiguration(CostOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<CostOptions>, CostOptionsValidator>();
        services.AddDataPath();
        services.AddRedisOptions();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<CostMetrics>();
        services.TryAddSingleton<ICostStore>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<CostOptions>>().Value;
            var data = sp.GetRequiredService<IOptions<DataPathOptions>>().Value;
            var logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger("GRump.Gateway.Cost.Ledger");
            // With Redis (Redis:Configuration, else GRUMP_REDIS; the connection the cache uses too) the whole fleet
            // shares one ledger.
            var redis = sp.GetRequiredService<RedisConnection>();
            if (redis.IsConfigured)
            {
                // Records go through a local journal, so the fleet keeps serving (and loses nothing) while Redis is out.
                return new RedisCostStore(redis, data.PathOf("ledger-journal.db"), options,
                    sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IMeterFactory>(), logger);
            }
            return new SqliteCostStore(data.PathOf("ledger.db"), options.WriteQueueCapacity, logger, sp.GetRequiredService<TimeProvider>());
        });
        services.AddHostedService<LedgerStartup>();
        services.TryAddSingleton<LedgerRetentionService>();
        services.AddHostedService(sp => sp.GetRequiredService<LedgerRetentionService>());
        services.TryAddSingleton<CostLedger>();
        services.TryAddSingleton<CostMeter>();
        services.TryAddSingleton<CostReports>();
        return services;
    }
}

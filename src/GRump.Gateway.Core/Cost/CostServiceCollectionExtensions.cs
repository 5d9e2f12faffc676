using GRump.Gateway.Cost.Internal;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
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
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<CostMetrics>();
        services.TryAddSingleton<ICostStore>(sp =>
        {
            var configuration = sp.GetRequiredService<IConfiguration>();
            var options = sp.GetRequiredService<IOptions<CostOptions>>().Value;
            var logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger("GRump.Gateway.Cost.Ledger");
            // Same rule as the cache: Redis:Configuration, else GRUMP_REDIS; with Redis the whole fleet shares one ledger.
            var redis = configuration[$"{Caching.RedisOptions.SectionName}:Configuration"] is { Length: > 0 } configured
                ? configured : configuration[Caching.RedisOptions.EnvironmentVariable];
            var dataPath = configuration["Gateway:DataPath"] is { Length: > 0 } path ? path : "./data";
            if (!string.IsNullOrWhiteSpace(redis))
            {
                // Records go through a local journal, so the fleet keeps serving (and loses nothing) while Redis is out.
                return new RedisCostStore(redis, Path.Combine(dataPath, "ledger-journal.db"), options,
                    sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IMeterFactory>(), logger);
            }
            return new SqliteCostStore(Path.Combine(dataPath, "ledger.db"), options.WriteQueueCapacity, logger);
        });
        services.AddHostedService<LedgerStartup>();
        services.TryAddSingleton<LedgerRetentionService>();
        services.AddHostedService(sp => sp.GetRequiredService<LedgerRetentionService>());
        services.TryAddSingleton<CostLedger>();
        services.TryAddSingleton<CostMeter>();
        services.TryAddSingleton<CostReports>();
        services.AddOptions<Diagnostics.PerformanceMonitorOptions>().BindConfiguration(Diagnostics.PerformanceMonitorOptions.SectionName);
        services.TryAddSingleton<Diagnostics.RequestCounter>();
        services.TryAddSingleton<Diagnostics.PerformanceMonitor>();
        services.TryAddSingleton<Diagnostics.RecentActivity>();
        services.AddHostedService(sp => sp.GetRequiredService<Diagnostics.PerformanceMonitor>());
        return services;
    }
}

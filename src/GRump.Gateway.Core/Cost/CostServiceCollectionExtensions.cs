using GRump.Gateway.Cost.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GRump.Gateway.Cost;

public static class CostServiceCollectionExtensions
{
    /// <summary>The cost ledger: SQLite under <c>Gateway:DataPath</c> (Redis store when configured — see docs).</summary>
    public static IServiceCollection AddCostLedger(this IServiceCollection services)
    {
        services.AddOptions<CostOptions>().BindConfiguration(CostOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<CostMetrics>();
        services.TryAddSingleton<ICostStore>(sp =>
        {
            var dataPath = sp.GetRequiredService<IConfiguration>()["Gateway:DataPath"] is { Length: > 0 } path ? path : "./data";
            return new SqliteCostStore(Path.Combine(dataPath, "ledger.db"), sp.GetRequiredService<IOptions<CostOptions>>().Value.WriteQueueCapacity,
                sp.GetRequiredService<ILoggerFactory>().CreateLogger("GRump.Gateway.Cost.Ledger"));
        });
        services.TryAddSingleton<CostLedger>();
        services.TryAddSingleton<CostReports>();
        services.AddOptions<Diagnostics.PerformanceMonitorOptions>().BindConfiguration(Diagnostics.PerformanceMonitorOptions.SectionName);
        services.TryAddSingleton<Diagnostics.RequestCounter>();
        services.TryAddSingleton<Diagnostics.PerformanceMonitor>();
        services.AddHostedService(sp => sp.GetRequiredService<Diagnostics.PerformanceMonitor>());
        return services;
    }
}

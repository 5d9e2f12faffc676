using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace GRump.Gateway.Diagnostics;

public static class DiagnosticsServiceCollectionExtensions
{
    /// <summary>The performance monitor (<c>PerformanceMonitor</c> section): its sampler, the request counter and the recent-activity window.</summary>
    public static IServiceCollection AddPerformanceMonitor(this IServiceCollection services)
    {
        services.AddOptions<PerformanceMonitorOptions>().BindConfiguration(PerformanceMonitorOptions.SectionName);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<RequestCounter>();
        services.TryAddSingleton<PerformanceMonitor>();
        services.TryAddSingleton<RecentActivity>();
        services.AddHostedService(sp => sp.GetRequiredService<PerformanceMonitor>());
        return services;
    }
}

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace GRump.Gateway.Workers;

/// <summary>Registers the worker pool, its options (validated at start) and its shutdown drain.</summary>
public static class WorkersServiceCollectionExtensions
{
    public static IServiceCollection AddWorkerPool(this IServiceCollection services)
    {
        services.AddOptions<WorkerPoolOptions>().BindConfiguration(WorkerPoolOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<WorkerPool>();
        services.AddHostedService(sp => sp.GetRequiredService<WorkerPool>());
        return services;
    }
}

using GRump.Gateway.Memory.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace GRump.Gateway.Memory;

/// <summary>Registers the idle memory trim (<see cref="MemoryOptions"/>, validated at start).</summary>
public static class MemoryServiceCollectionExtensions
{
    public static IServiceCollection AddIdleMemoryTrim(this IServiceCollection services)
    {
        services.AddOptions<MemoryOptions>().BindConfiguration(MemoryOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddHostedService<IdleMemoryTrimmer>();
        return services;
    }
}

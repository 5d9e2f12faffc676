using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace GRump.Gateway.Intent;

/// <summary>Registers the intent compiler.</summary>
public static class IntentServiceCollectionExtensions
{
    public static IServiceCollection AddIntentCompiler(this IServiceCollection services)
    {
        services.TryAddSingleton<IIntentCompiler, IntentCompiler>();
        return services;
    }
}

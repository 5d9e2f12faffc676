using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace GRump.Gateway.Intent;

/// <summary>Registers the intent compiler and its options (validated at start).</summary>
public static class IntentServiceCollectionExtensions
{
    public static IServiceCollection AddIntentCompiler(this IServiceCollection services)
    {
        services.AddOptions<IntentOptions>().BindConfiguration(IntentOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<IIntentCompiler, IntentCompiler>();
        return services;
    }
}

using GRump.Gateway.Diagnostics;
using GRump.Gateway.Embeddings;
using GRump.Gateway.Intent;
using GRump.Gateway.Providers;
using GRump.Gateway.Routing.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GRump.Gateway.Routing;

/// <summary>
/// Registers the model registry and the routing strategy options (bound from <c>Routing</c>, validated at start), the
/// router, its metrics, the tier classifier, the shadow and a readiness check that waits for the embedding router.
/// </summary>
public static class RoutingServiceCollectionExtensions
{
    /// <summary>
    /// Named so as not to clash with ASP.NET Core's <c>AddRouting</c>. Needs an <see cref="IProviderDirectory"/>
    /// (the provider layer's, or the host's stand-in).
    /// </summary>
    public static IServiceCollection AddModelRouting(this IServiceCollection services)
    {
        services.AddOptions<ModelRegistryOptions>().BindConfiguration(ModelRegistryOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ModelRegistryOptions>, ModelRegistryValidator>());
        services.AddOptions<RoutingStrategyOptions>().BindConfiguration(RoutingStrategyOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RoutingStrategyOptions>, RoutingStrategyValidator>());
        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IIntentCompiler, IntentCompiler>();
        services.TryAddSingleton<RoutingMetrics>();
        services.TryAddSingleton<ModelRegistry>();
        // The router's own encoder: the sentence model cut after Routing:EncoderLayers (the local embedding provider's
        // instance runs every layer; a gateway using both holds both). With every layer it is the provider's instance.
        services.TryAddKeyedSingleton(RoutingStrategyOptions.EncoderServiceKey, (sp, _) =>
        {
            var layers = sp.GetRequiredService<IOptions<RoutingStrategyOptions>>().Value.EncoderLayers;
            return layers == LocalSentenceModel.AllLayers && sp.GetService<LocalSentenceModel>() is { } whole
                ? whole
                : new LocalSentenceModel(sp.GetRequiredService<ILogger<LocalSentenceModel>>(), sp.GetRequiredService<TimeProvider>(), sp.GetService<IOptions<EmbeddingOptions>>(),
                    layers);
        });
        services.TryAddSingleton<TierClassifier>();
        services.TryAddSingleton<RoutingShadow>();
        services.AddHostedService(sp => sp.GetRequiredService<RoutingShadow>());
        services.AddHostedService<ClassifierWarmup>();
        services.AddHealthChecks().AddCheck<ClassifierHealthCheck>("routing", tags: ["ready"]);
        services.TryAddSingleton(sp =>
        {
            var strategy = RoutingStrategies.Parse(sp.GetRequiredService<IOptions<RoutingStrategyOptions>>().Value.Strategy);
            return new ModelRouter(
                sp.GetRequiredService<ModelRegistry>(),
                sp.GetRequiredService<IProviderDirectory>(),
                sp.GetRequiredService<IIntentCompiler>(),
                sp.GetRequiredService<RoutingMetrics>(),
                sp.GetRequiredService<IOptions<ModelRegistryOptions>>(),
                strategy,
                sp.GetRequiredService<TierClassifier>(),
                sp.GetRequiredService<RoutingShadow>());
        });
        return services;
    }

    /// <summary>
    /// Starts training the learned router in the background at start when a strategy needs it (the sentence model loads,
    /// every exemplar is embedded: seconds of CPU), so it is ready before most requests arrive; until then decisions use
    /// the surface model or the heuristic and never wait. A heuristic-only gateway never loads the sentence model.
    /// </summary>
    private sealed class ClassifierWarmup(TierClassifier classifier, IOptions<RoutingStrategyOptions> options) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            if (NeedsClassifier(options.Value))
            {
                classifier.StartTraining();
            }

            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>
    /// Degraded while the learned router trains or after it failed (requests are still routed, by the surface model or the
    /// heuristic, so readiness is not withheld); healthy once trained or when no strategy needs it.
    /// </summary>
    private sealed class ClassifierHealthCheck(TierClassifier classifier, IOptions<RoutingStrategyOptions> options) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            if (!NeedsClassifier(options.Value) || classifier.IsReady)
            {
                return Task.FromResult(HealthCheckResult.Healthy());
            }

            return Task.FromResult(classifier.LoadFailure is { } failure
                ? HealthCheckResult.Degraded("The learned router could not be trained; the surface model or the heuristic routes.", failure)
                : HealthCheckResult.Degraded("The learned router is training; the surface model or the heuristic routes meanwhile."));
        }
    }

    private static bool NeedsClassifier(RoutingStrategyOptions options) =>
        (RoutingStrategies.TryParse(options.Strategy, out var strategy) && RoutingStrategies.NeedsEmbeddings(strategy))
        || (RoutingStrategies.TryParse(options.Shadow, out var shadow) && RoutingStrategies.NeedsEmbeddings(shadow));
}

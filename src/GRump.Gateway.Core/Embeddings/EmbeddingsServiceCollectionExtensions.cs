using GRump.Gateway.Auth;
using GRump.Gateway.Caching;
using GRump.Gateway.Cost;
using GRump.Gateway.Embeddings.Internal;
using GRump.Gateway.Providers;
using GRump.Gateway.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace GRump.Gateway.Embeddings;

public static class EmbeddingsServiceCollectionExtensions
{
    /// <summary>
    /// The embedding pipeline, its coalescers (drained on shutdown), options (validated at start), metrics and the
    /// <c>local</c> embedding provider. Call after <c>AddChat</c>, which registers the other providers and the model registry.
    /// </summary>
    public static IServiceCollection AddEmbeddings(this IServiceCollection services)
    {
        services.AddOptions<EmbeddingOptions>().BindConfiguration(EmbeddingOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddMetrics();
        services.AddApiKeyAuth();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<EmbeddingMetrics>();
        services.TryAddSingleton<EmbeddingCoalescers>();
        services.AddHostedService(sp => sp.GetRequiredService<EmbeddingCoalescers>());
        services.TryAddSingleton<LocalSentenceModel>();
        // The provider directory collects every IEmbeddingProvider: this makes GetEmbedding("local") work.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IEmbeddingProvider, LocalEmbeddingProvider>());
        services.TryAddSingleton(sp => new EmbeddingPipeline(
            sp.GetRequiredService<IProviderDirectory>(),
            sp.GetRequiredService<ModelRegistry>(),
            sp.GetRequiredService<EmbeddingCoalescers>(),
            sp.GetRequiredService<EmbeddingMetrics>(),
            sp.GetRequiredService<IOptions<EmbeddingOptions>>().Value,
            sp.GetRequiredService<ITieredCache>(),
            sp.GetRequiredService<CostMeter>(),
            sp.GetRequiredService<TenantRateLimiter>()));
        return services;
    }
}

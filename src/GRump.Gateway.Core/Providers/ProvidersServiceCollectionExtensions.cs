using System.Net;
using GRump.Gateway.Providers.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Telemetry;

namespace GRump.Gateway.Providers;

public static class ProvidersServiceCollectionExtensions
{
    /// <summary>
    /// The upstream adapters for every configured provider (plus <c>local</c>), their YARP clusters and resilient
    /// HttpClients (retry with jitter on 408/429/5xx and connection failures, circuit breaker per destination,
    /// per-attempt timeout). <c>MapReverseProxy()</c> activates the clusters' health checks; it maps no route.
    /// </summary>
    public static IServiceCollection AddProviders(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var providers = ProviderSettings.Read(configuration);

        // Registration above cannot fail without crashing the process: every provider section is also bound as named
        // options and checked at start, where a bad value stops the gateway with its key named (exit code 2).
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ProviderOptions>, ProviderOptionsValidator>());
        foreach (var (name, key) in ProviderSettings.Sections(configuration))
        {
            services.AddOptions<ProviderOptions>(name).BindConfiguration(key)
                .PostConfigure<IConfiguration>((options, config) => ProviderSettings.ApplyEnvironment(name, options, config))
                .ValidateOnStart();
        }

        // Clusters only: YARP routes nothing by itself. The /v1 passthrough forwards through its own gate (Passthrough/).
        services.AddReverseProxy().LoadFromMemory([], [.. providers.Select(UpstreamClusters.ClusterFor)]);
        // YARP adds ASP.NET Core data protection for its session-affinity cookies, which no cluster here uses. Its hosted
        // service would load (or create, and write under $HOME) a key ring at start, and the XML stack with it: ~7 MB
        // resident for nothing (issue 22). Protectors still work if anything asks for one: the ring then loads lazily.
        RemoveHostedService(services, "Microsoft.AspNetCore.DataProtection.Internal.DataProtectionHostedService");

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ProviderMetrics>();
        services.TryAddSingleton<UpstreamHealth>();
        // An upstream tripping its circuit is a known failure (GetStats and the dashboard show it), not an unexpected
        // one: Polly's telemetry would log it at Error. Every attempt is an Information line by default — one per
        // upstream call, a measurable share of the gateway's CPU under load; retries and breaks are logged on their own.
        services.Configure<TelemetryOptions>(telemetry => telemetry.SeverityProvider = args => args.Event.EventName switch
        {
            "OnCircuitOpened" => ResilienceEventSeverity.Warning,
            "ExecutionAttempt" => ResilienceEventSeverity.Debug,
            _ => args.Event.Severity,
        });
        services.TryAddSingleton<UpstreamClusters>();
        services.TryAddSingleton<IProviderDirectory, ProviderDirectory>();
        services.AddSingleton<IChatProvider, LocalChatProvider>();

        foreach (var provider in providers)
        {
            AddUpstreamClient(services, provider);
            if (provider.Kind == ProviderKinds.Anthropic)
            {
                services.AddSingleton<IChatProvider>(sp => new AnthropicProvider(CreateSender(sp, provider), sp.GetRequiredService<ProviderMetrics>()));
            }
            else
            {
                services.AddSingleton(sp => new OpenAiCompatibleProvider(CreateSender(sp, provider), sp.GetRequiredService<ProviderMetrics>()));
                services.AddSingleton<IChatProvider>(sp => sp.GetServices<OpenAiCompatibleProvider>().First(p => p.Name == provider.Name));
                services.AddSingleton<IEmbeddingProvider>(sp => sp.GetServices<OpenAiCompatibleProvider>().First(p => p.Name == provider.Name));
            }
        }
        return services;
    }

    private static void RemoveHostedService(IServiceCollection services, string implementationType)
    {
        for (var i = services.Count - 1; i >= 0; i--)
        {
            if (services[i].ServiceType == typeof(Microsoft.Extensions.Hosting.IHostedService) && services[i].ImplementationType?.FullName == implementationType)
            {
                services.RemoveAt(i);
            }
        }
    }

    private static UpstreamSender CreateSender(IServiceProvider services, ProviderSettings provider) =>
        new(provider, services.GetRequiredService<IHttpClientFactory>(), services.GetRequiredService<UpstreamClusters>(),
            services.GetRequiredService<ILoggerFactory>().CreateLogger("GRump.Gateway.Providers." + provider.Name));

    private static void AddUpstreamClient(IServiceCollection services, ProviderSettings provider)
    {
        var options = provider.Options;
        services.AddHttpClient(UpstreamSender.ClientName(provider.Name), client => client.Timeout = Timeout.InfiniteTimeSpan)
            // The factory's logging handlers format the URI and open a log scope on every call, for lines that are
            // below the level the gateway logs at (docs/logging.md); upstream failures are logged by UpstreamSender.
            .RemoveAllLoggers()
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                ConnectTimeout = TimeSpan.FromSeconds(10),
                AutomaticDecompression = DecompressionMethods.None,
                // A redirect is an error, not a hop: following one re-sends the prompt, and every credential header but
                // Authorization (Anthropic's x-api-key, a custom header), to wherever the Location says.
                AllowAutoRedirect = false,
                EnableMultipleHttp2Connections = true,
                UseCookies = false,
            })
            .AddResilienceHandler("upstream", (builder, context) =>
            {
                var health = context.ServiceProvider.GetRequiredService<UpstreamHealth>();
                if (options.MaxRetries > 0)
                {
                    builder.AddRetry(new HttpRetryStrategyOptions
                    {
                        MaxRetryAttempts = options.MaxRetries,
                        BackoffType = DelayBackoffType.Exponential,
                        UseJitter = true,
                        Delay = options.RetryDelay,
                    });
                }
                builder.AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
                {
                    FailureRatio = 0.5,
                    MinimumThroughput = options.CircuitMinimumThroughput,
                    SamplingDuration = TimeSpan.FromSeconds(30),
                    BreakDuration = options.CircuitBreakDuration,
                    // The pipeline is per destination host: the request in hand says which one changed state.
                    OnOpened = args => Changed(health, provider.Name, args.Context, CircuitStates.Open),
                    OnHalfOpened = args => Changed(health, provider.Name, args.Context, CircuitStates.HalfOpen),
                    OnClosed = args => Changed(health, provider.Name, args.Context, CircuitStates.Closed),
                });
                builder.AddTimeout(options.AttemptTimeout);
            })
            // One pipeline (so one circuit) per destination host.
            .SelectPipelineByAuthority();
    }

    private static ValueTask Changed(UpstreamHealth health, string provider, ResilienceContext context, string circuitState)
    {
        health.CircuitChanged(provider, context.GetRequestMessage()?.RequestUri?.Authority, circuitState);
        return ValueTask.CompletedTask;
    }
}

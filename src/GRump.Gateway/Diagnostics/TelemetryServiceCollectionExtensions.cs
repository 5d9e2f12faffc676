using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace GRump.Gateway.Diagnostics;

/// <summary>OpenTelemetry metrics (Prometheus at /metrics) and traces (OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set).</summary>
public static class TelemetryServiceCollectionExtensions
{
    /// <summary><c>Diagnostics:Telemetry</c> (default true): false turns metrics export and tracing off (for overhead benchmarks).</summary>
    public static bool Enabled(IConfiguration configuration) => Switch(configuration, nameof(TelemetryOptions.Telemetry), new TelemetryOptions().Telemetry);

    public static IServiceCollection AddGatewayTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<IntentMetrics>();
        // The switches are read below, while services are registered, where a bad value would crash the process: there
        // they fall back to their defaults, and this binding reports them at start (exit code 2) before anything listens.
        services.AddOptions<TelemetryOptions>().BindConfiguration(TelemetryOptions.SectionName).ValidateOnStart();
        if (!Enabled(configuration))
        {
            return services; // instruments still exist, but nothing listens: their cost is near zero
        }
        var otlp = !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var builder = services.AddOpenTelemetry();
        builder.WithMetrics(metrics =>
            {
                // ASP.NET Core's request (http.server.*) and Kestrel (kestrel.*) instruments; its routing and diagnostics
                // meters are left out: with them every request cost ~10 µs more CPU (docs/performance.md, "Telemetry").
                metrics.AddMeter(GatewayTelemetry.Name, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel")
                    .AddRuntimeInstrumentation()
                    .AddPrometheusExporter(options => options.ScrapeResponseCacheDurationMilliseconds = 0);
                if (otlp)
                {
                    metrics.AddOtlpExporter();
                }
            });
        // Spans cost CPU on every request: they are collected only when something exports them (OTLP, or
        // Diagnostics:Tracing=true for another exporter); incoming W3C trace context still flows to the upstream.
        if (otlp || Switch(configuration, nameof(TelemetryOptions.Tracing), new TelemetryOptions().Tracing))
        {
            builder.WithTracing(tracing =>
            {
                tracing.AddSource(GatewayTelemetry.Name, "System.Net.Http")
                    .AddAspNetCoreInstrumentation(options => options.Filter = context => context.Request.Path != "/metrics");
                if (otlp)
                {
                    tracing.AddOtlpExporter();
                }
            });
        }
        // After OpenTelemetry's own hosted service, so the listener exists when the counters report their 0.
        services.AddHostedService<SeedCountersAtZero>();
        return services;
    }

    /// <summary>The seed's counters exist in /metrics from the start, at 0 (see CostMetrics.ReportZero).</summary>
    private sealed class SeedCountersAtZero(IServiceProvider services) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            services.GetService<Cost.CostMetrics>()?.ReportZero();
            services.GetService<CacheMetrics>()?.ReportZero();
            services.GetService<RoutingMetrics>()?.ReportZero();
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private static bool Switch(IConfiguration configuration, string key, bool fallback) =>
        bool.TryParse(configuration[$"{TelemetryOptions.SectionName}:{key}"], out var value) ? value : fallback;
}

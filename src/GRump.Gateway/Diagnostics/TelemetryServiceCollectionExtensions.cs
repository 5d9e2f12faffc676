using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace GRump.Gateway.Diagnostics;

/// <summary>OpenTelemetry metrics (Prometheus at /metrics) and traces (OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set).</summary>
public static class TelemetryServiceCollectionExtensions
{
    /// <summary><c>Diagnostics:Telemetry</c> (default true): false turns metrics export and tracing off (for overhead benchmarks).</summary>
    public static bool Enabled(IConfiguration configuration) => configuration.GetValue("Diagnostics:Telemetry", true);

    public static IServiceCollection AddGatewayTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<IntentMetrics>();
        if (!Enabled(configuration))
        {
            return services; // instruments still exist, but nothing listens: their cost is near zero
        }
        var otlp = !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        services.AddOpenTelemetry()
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(GatewayTelemetry.Name)
                    .AddAspNetCoreInstrumentation()
                    .AddRuntimeInstrumentation()
                    .AddPrometheusExporter(options => options.ScrapeResponseCacheDurationMilliseconds = 0);
                if (otlp)
                {
                    metrics.AddOtlpExporter();
                }
            })
            .WithTracing(tracing =>
            {
                tracing.AddSource(GatewayTelemetry.Name, "System.Net.Http")
                    .AddAspNetCoreInstrumentation(options => options.Filter = context => context.Request.Path != "/metrics");
                if (otlp)
                {
                    tracing.AddOtlpExporter();
                }
            });
        return services;
    }
}

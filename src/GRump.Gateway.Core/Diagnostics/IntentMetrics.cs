using System.Diagnostics.Metrics;

namespace GRump.Gateway.Diagnostics;

/// <summary>Instruments of the intent compiler.</summary>
public sealed class IntentMetrics
{
    private readonly Histogram<double> _compilationDuration;

    public IntentMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(GatewayTelemetry.Name);
        _compilationDuration = meter.CreateHistogram(
            GatewayTelemetry.Metrics.CompilationDuration,
            unit: "s",
            description: "Time to compile one intent, in-process.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 1e-3, 1e-2] });
    }

    public void RecordCompilation(TimeSpan elapsed) => _compilationDuration.Record(elapsed.TotalSeconds);
}

namespace GRump.Gateway.Diagnostics;

/// <summary><c>Diagnostics</c>: metrics export and tracing switches (the performance monitor has its own <c>Diagnostics:Monitor</c>).</summary>
public sealed class TelemetryOptions
{
    public const string SectionName = "Diagnostics";

    /// <summary>False turns metrics export and tracing off (for overhead benchmarks).</summary>
    public bool Telemetry { get; set; } = true;

    /// <summary>Collect spans without an OTLP endpoint (for another exporter).</summary>
    public bool Tracing { get; set; }
}

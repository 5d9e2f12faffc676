namespace GRump.Gateway.Tests.Infrastructure;

/// <summary>
/// Tests that assert metric values. OpenTelemetry subscribes to meters by name across the process, so a gateway's
/// /metrics also counts what other gateways in the same test process record; these tests run alone, after the
/// parallel ones, so the numbers they read are their own.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MetricValueTests
{
    public const string Name = "Metric values";
}

using System.Diagnostics.Metrics;
using GRump.Gateway.Diagnostics;

namespace GRump.Gateway.Embeddings;

/// <summary>Instruments of the embedding coalescer: batch sizes, what happened to each text, and how long texts waited.</summary>
public sealed class EmbeddingMetrics
{
    private readonly Histogram<int> _batchSize;
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _wait;

    public EmbeddingMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(GatewayTelemetry.Name);
        _batchSize = meter.CreateHistogram(
            GatewayTelemetry.Metrics.BatchSize,
            description: "Inputs per upstream embeddings call.",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 192, 256] });
        _requests = meter.CreateCounter<long>(
            GatewayTelemetry.Metrics.BatchProcessingRequests,
            description: "Texts handled by the embedding coalescer, by outcome: batched (sent upstream), deduplicated (served by an identical text queued or in flight), cancelled, rejected (queue full), failed.");
        _wait = meter.CreateHistogram(
            GatewayTelemetry.Metrics.EmbeddingBatchWait,
            unit: "s",
            description: "Time a text waited in the coalescer before its batch was sent.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.5, 1, 5] });
    }

    internal void Batch(string provider, string model, int size) =>
        _batchSize.Record(size, new KeyValuePair<string, object?>("provider", provider), new KeyValuePair<string, object?>("model", model));

    internal void Texts(string provider, string outcome, long count)
    {
        if (count > 0)
        {
            _requests.Add(count, new KeyValuePair<string, object?>("provider", provider), new KeyValuePair<string, object?>("outcome", outcome));
        }
    }

    internal void Wait(string provider, TimeSpan wait) =>
        _wait.Record(wait.TotalSeconds, new KeyValuePair<string, object?>("provider", provider));
}

/// <summary>Values of the <c>outcome</c> label of <c>batch_processing_requests_total</c>.</summary>
internal static class EmbeddingOutcomes
{
    public const string Batched = "batched";
    public const string Deduplicated = "deduplicated";
    public const string Cancelled = "cancelled";
    public const string Rejected = "rejected";
    public const string Failed = "failed";
}

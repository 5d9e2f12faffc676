using System.Diagnostics.Metrics;

namespace GRump.Gateway.Diagnostics;

/// <summary>
/// Recent gateway overhead and embedding batch sizes for CostService.GetStats (the dashboard's operations panel):
/// Prometheus histograms have buckets, an operator wants p50/p99 of the last minutes. Listens to this host's own
/// instruments (the meters its <see cref="IMeterFactory"/> made, so other hosts in the process do not mix in) instead
/// of being called from the chat and embedding paths, which stay unaware of it.
/// </summary>
public sealed class RecentActivity : IDisposable
{
    /// <summary>How far back the percentiles reach; also bounded by <see cref="Capacity"/> samples.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(5);

    public const int Capacity = 4096;

    private readonly MeterListener _listener = new();
    private readonly SampleWindow _overhead;
    private readonly SampleWindow _batches;
    private long _deduplicated;

    public RecentActivity(IMeterFactory meterFactory, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _overhead = new SampleWindow(time);
        _batches = new SampleWindow(time);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == GatewayTelemetry.Name && ReferenceEquals(instrument.Meter.Scope, meterFactory)
                && instrument.Name is GatewayTelemetry.Metrics.GatewayOverhead or GatewayTelemetry.Metrics.BatchSize or GatewayTelemetry.Metrics.BatchProcessingRequests)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>((instrument, value, _, _) =>
        {
            if (instrument.Name == GatewayTelemetry.Metrics.GatewayOverhead)
            {
                _overhead.Add(value * 1000);
            }
        });
        _listener.SetMeasurementEventCallback<int>((instrument, value, _, _) =>
        {
            if (instrument.Name == GatewayTelemetry.Metrics.BatchSize)
            {
                _batches.Add(value);
            }
        });
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "outcome" && tag.Value as string == "deduplicated")
                {
                    Interlocked.Add(ref _deduplicated, value);
                }
            }
        });
        _listener.Start();
    }

    /// <summary>Gateway overhead of chat calls (milliseconds) in the window.</summary>
    public SampleSummary Overhead() => _overhead.Summarize();

    /// <summary>Inputs per upstream embeddings call in the window.</summary>
    public SampleSummary EmbeddingBatches() => _batches.Summarize();

    /// <summary>Embedding texts served by an identical one in flight, since start.</summary>
    public long DeduplicatedTexts => Interlocked.Read(ref _deduplicated);

    public void Dispose() => _listener.Dispose();

    /// <summary>The most recent samples (a ring of <see cref="Capacity"/>), each stamped, read back within <see cref="Window"/>.</summary>
    private sealed class SampleWindow(TimeProvider time)
    {
        private readonly Lock _lock = new();
        private readonly double[] _values = new double[Capacity];
        private readonly long[] _stamps = new long[Capacity];
        private int _next;
        private int _count;

        public void Add(double value)
        {
            var now = time.GetTimestamp();
            lock (_lock)
            {
                _values[_next] = value;
                _stamps[_next] = now;
                _next = (_next + 1) % Capacity;
                _count = Math.Min(_count + 1, Capacity);
            }
        }

        public SampleSummary Summarize()
        {
            var now = time.GetTimestamp();
            var recent = new List<double>(Math.Min(_count, Capacity));
            var oldest = now;
            lock (_lock)
            {
                for (var i = 0; i < _count; i++)
                {
                    var index = (_next - 1 - i + Capacity) % Capacity;
                    if (time.GetElapsedTime(_stamps[index], now) > Window)
                    {
                        break;
                    }
                    recent.Add(_values[index]);
                    oldest = _stamps[index];
                }
            }
            if (recent.Count == 0)
            {
                return new SampleSummary(0, 0, 0, 0, 0, 0, Window);
            }
            recent.Sort();
            return new SampleSummary(recent.Count, recent.Sum(), Percentile(recent, 0.50), Percentile(recent, 0.99), recent[^1], recent.Average(),
                recent.Count == Capacity ? time.GetElapsedTime(oldest, now) : Window);
        }

        /// <summary>Nearest-rank percentile of sorted values.</summary>
        private static double Percentile(List<double> sorted, double p) =>
            sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
    }
}

/// <summary>Samples in a recent window: how many, their sum, median, 99th percentile, maximum and mean; and how far back it reaches.</summary>
public readonly record struct SampleSummary(long Count, double Sum, double P50, double P99, double Max, double Mean, TimeSpan Span);

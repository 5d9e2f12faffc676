using System.Collections.Concurrent;
using HdrHistogram;

namespace GRump.LoadTests.Load;

/// <summary>
/// Thread-safe sink for one measured run: a latency histogram (µs, 3 significant digits), one coarse histogram per
/// second for latency over time, calls by status, and bytes.
/// </summary>
internal sealed class ScenarioRecorder
{
    /// <summary>Latencies are recorded in microseconds, up to a minute.</summary>
    public const long HighestMicros = 60_000_000;

    private readonly LongConcurrentHistogram _latency = new(1, 1, HighestMicros, 3);
    private readonly LongConcurrentHistogram[] _perSecond;
    private readonly long[] _errorsPerSecond;
    private readonly ConcurrentDictionary<string, long> _statuses = new(StringComparer.Ordinal);
    private long _bytes;
    private long _calls;
    private long _errors;

    public ScenarioRecorder(TimeSpan duration)
    {
        var seconds = (int)Math.Ceiling(duration.TotalSeconds) + 1;
        _perSecond = new LongConcurrentHistogram[seconds];
        for (var i = 0; i < seconds; i++)
        {
            _perSecond[i] = new LongConcurrentHistogram(1, 1, HighestMicros, 2);
        }

        _errorsPerSecond = new long[seconds];
    }

    public long Calls => Interlocked.Read(ref _calls);

    public long Errors => Interlocked.Read(ref _errors);

    public long Bytes => Interlocked.Read(ref _bytes);

    public HistogramBase Latency => _latency;

    /// <param name="offset">When the call was due, from the start of the measured run (it lands in that second).</param>
    /// <param name="latency">From the call's scheduled (open model) or actual (closed model) start to its end.</param>
    /// <param name="result">What the call returned.</param>
    public void Record(TimeSpan offset, TimeSpan latency, StepResult result)
    {
        var micros = Math.Clamp((long)(latency.Ticks / (double)TimeSpan.TicksPerMicrosecond), 1, HighestMicros);
        _latency.RecordValue(micros);
        var second = Math.Clamp((int)offset.TotalSeconds, 0, _perSecond.Length - 1);
        _perSecond[second].RecordValue(micros);
        Interlocked.Increment(ref _calls);
        Interlocked.Add(ref _bytes, result.Bytes);
        if (!result.IsOk)
        {
            Interlocked.Increment(ref _errors);
            Interlocked.Increment(ref _errorsPerSecond[second]);
        }

        _statuses.AddOrUpdate(result.Status, 1, static (_, n) => n + 1);
    }

    /// <summary>Calls by status, successes included (<see cref="StepResult.OkStatus"/>).</summary>
    public IReadOnlyDictionary<string, long> Statuses => new SortedDictionary<string, long>(_statuses, StringComparer.Ordinal);

    /// <summary>Per second of the run: calls, errors, p50/p99/max in µs (seconds with no calls are left out).</summary>
    public IReadOnlyList<TimelinePoint> Timeline()
    {
        var points = new List<TimelinePoint>(_perSecond.Length);
        for (var i = 0; i < _perSecond.Length; i++)
        {
            var h = _perSecond[i];
            if (h.TotalCount == 0)
            {
                continue;
            }

            points.Add(new TimelinePoint(i, h.TotalCount, Interlocked.Read(ref _errorsPerSecond[i]),
                h.GetValueAtPercentile(50), h.GetValueAtPercentile(99), h.GetMaxValue()));
        }

        return points;
    }
}

/// <summary>One second of a run (latencies in µs).</summary>
internal sealed record TimelinePoint(int Second, long Calls, long Errors, long P50Micros, long P99Micros, long MaxMicros);

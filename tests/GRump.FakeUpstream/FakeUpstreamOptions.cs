namespace GRump.Fakes;

/// <summary>How a <see cref="FakeUpstream"/> starts.</summary>
public sealed class FakeUpstreamOptions
{
    /// <summary>Port on 127.0.0.1; 0 picks a free one.</summary>
    public int Port { get; init; }

    /// <summary>Only the most recent requests are kept, so a long load test does not grow memory without bound.</summary>
    public int RecordLimit { get; init; } = 10_000;

    /// <summary>The behaviour used when the queue is empty.</summary>
    public FakeBehavior Default { get; init; } = new();

    /// <summary>Clock for <c>created</c> timestamps and programmed delays.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}

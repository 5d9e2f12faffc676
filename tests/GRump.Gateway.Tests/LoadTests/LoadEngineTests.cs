using HdrHistogram;
using GRump.LoadTests.Load;

namespace GRump.Gateway.Tests.LoadTests;

/// <summary>The engine on a virtual clock: waits jump the clock, steps advance it by their "service time".</summary>
public sealed class LoadEngineTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task OpenModel_StalledCall_LaterCallsChargedFromTheirScheduledStart()
    {
        // Arrange: 10 calls/s for 1 s; the first call stalls the only "connection" for 250 ms.
        var clock = new VirtualClock();
        var calls = 0;
        var step = new FuncStep(() =>
        {
            if (calls++ == 0)
            {
                clock.Advance(TimeSpan.FromMilliseconds(250));
            }
        });
        var recorder = new ScenarioRecorder(TimeSpan.FromSeconds(1));

        // Act
        await new LoadEngine(clock).RunAsync(_ => ValueTask.FromResult<IScenarioStep>(step), new OpenModel(10), TimeSpan.FromSeconds(1), recorder, Ct);

        // Assert: calls due at 0, 100, 200 ms finish at 250 ms → 250 + 150 + 50 ms; the other seven are on time.
        // (Timed from when they actually went out, the three would read 250 + 0 + 0: coordinated omission.)
        Assert.Equal(10, calls);
        Assert.Equal(10, recorder.Calls);
        Assert.Equal(250, recorder.Latency.GetMaxValue() / 1000d, 0.5);
        Assert.Equal(150, recorder.Latency.GetValueAtPercentile(90) / 1000d, 0.5);
        Assert.Equal(50, recorder.Latency.GetValueAtPercentile(80) / 1000d, 0.5);
        Assert.True(recorder.Latency.GetValueAtPercentile(70) <= 1);
    }

    [Fact]
    public async Task ClosedModel_OneUser_CallsBackToBackForTheDuration()
    {
        // Arrange: each call takes 10 ms; the run lasts 100 ms.
        var clock = new VirtualClock();
        var step = new FuncStep(() => clock.Advance(TimeSpan.FromMilliseconds(10)));
        var recorder = new ScenarioRecorder(TimeSpan.FromMilliseconds(100));

        // Act
        var elapsed = await new LoadEngine(clock).RunAsync(_ => ValueTask.FromResult<IScenarioStep>(step), new ClosedModel(1), TimeSpan.FromMilliseconds(100), recorder, Ct);

        // Assert
        Assert.Equal(10, recorder.Calls);
        Assert.Equal(10, recorder.Latency.GetMaxValue() / 1000d, 0.1);
        Assert.Equal(TimeSpan.FromMilliseconds(100), elapsed);
    }

    [Fact]
    public async Task Step_Throws_CountedAsErrorByExceptionType()
    {
        // Arrange
        var clock = new VirtualClock();
        var step = new FuncStep(() => throw new HttpRequestException("refused"));
        var recorder = new ScenarioRecorder(TimeSpan.FromSeconds(1));

        // Act
        await new LoadEngine(clock).RunAsync(_ => ValueTask.FromResult<IScenarioStep>(step), new OpenModel(5), TimeSpan.FromSeconds(1), recorder, Ct);

        // Assert
        Assert.Equal(5, recorder.Errors);
        Assert.Equal(5, recorder.Statuses[nameof(HttpRequestException)]);
    }

    [Fact]
    public void OpenModel_Ramp_ScheduleRisesLinearlyAndFitsTheDuration()
    {
        // Arrange: 10 → 30 calls/s over 10 s = 200 calls.
        var ramp = new OpenModel(10, 30);
        var duration = TimeSpan.FromSeconds(10);

        // Act
        var due = Enumerable.Range(0, 201).Select(i => ramp.ScheduledAt(i, duration)).ToList();

        // Assert
        Assert.Equal(TimeSpan.Zero, due[0]);
        Assert.Equal(10, due[200].TotalSeconds, 6);
        Assert.True(due.Zip(due.Skip(1)).All(p => p.Second > p.First));
        Assert.Equal(0.1, (due[1] - due[0]).TotalSeconds, 2);   // starts at 10/s
        Assert.Equal(1 / 30d, (due[200] - due[199]).TotalSeconds, 3); // ends at 30/s
    }

    [Fact]
    public void OpenModel_ConstantRate_EvenlySpaced()
    {
        // Act
        var due = new OpenModel(400).ScheduledAt(1000, TimeSpan.FromSeconds(5));

        // Assert
        Assert.Equal(2.5, due.TotalSeconds, 9);
    }

    private sealed class VirtualClock : LoadClock
    {
        private TimeSpan _now;

        public override TimeSpan Now => _now;

        public void Advance(TimeSpan by) => _now += by;

        public override ValueTask WaitUntilAsync(TimeSpan when, CancellationToken cancellationToken)
        {
            if (when > _now)
            {
                _now = when;
            }

            return ValueTask.CompletedTask;
        }
    }

    private sealed class FuncStep(Action call) : IScenarioStep
    {
        public ValueTask<StepResult> InvokeAsync(CancellationToken cancellationToken)
        {
            call();
            return ValueTask.FromResult(StepResult.Ok(1));
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

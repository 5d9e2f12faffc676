using Grpc.Core;

namespace GRump.LoadTests.Load;

/// <summary>Runs one scenario step under a <see cref="LoadSimulation"/> for a duration and records every call.</summary>
internal sealed class LoadEngine(LoadClock clock)
{
    /// <summary>
    /// Issues calls for <paramref name="duration"/> and waits for the ones in flight. Calls are not cancelled when the
    /// time is up (a cut call would count as an error); <paramref name="cancellationToken"/> aborts the run.
    /// </summary>
    /// <returns>The time from the first scheduled call to the last one finished.</returns>
    public Task<TimeSpan> RunAsync(Func<CancellationToken, ValueTask<IScenarioStep>> createStep, LoadSimulation simulation, TimeSpan duration,
        ScenarioRecorder recorder, CancellationToken cancellationToken) => simulation switch
        {
            ClosedModel closed => RunClosedAsync(createStep, closed.Concurrency, closed.Concurrency, duration, recorder, cancellationToken),
            ConcurrencyRamp ramp => RunClosedAsync(createStep, ramp.From, ramp.To, duration, recorder, cancellationToken),
            OpenModel open => RunOpenAsync(createStep, open, duration, recorder, cancellationToken),
            _ => throw new ArgumentOutOfRangeException(nameof(simulation), simulation, "Unknown load simulation."),
        };

    private async Task<TimeSpan> RunClosedAsync(Func<CancellationToken, ValueTask<IScenarioStep>> createStep, int from, int to, TimeSpan duration,
        ScenarioRecorder recorder, CancellationToken cancellationToken)
    {
        var steps = new IScenarioStep[to];
        for (var i = 0; i < to; i++)
        {
            steps[i] = await createStep(cancellationToken).ConfigureAwait(false);
        }

        var start = clock.Now;
        var end = start + duration;
        try
        {
            var users = new Task[to];
            for (var i = 0; i < to; i++)
            {
                var joinAt = i < from ? TimeSpan.Zero : duration * i / to;
                users[i] = UserAsync(steps[i], start + joinAt);
            }

            await Task.WhenAll(users).ConfigureAwait(false);
        }
        finally
        {
            foreach (var step in steps)
            {
                await step.DisposeAsync().ConfigureAwait(false);
            }
        }

        return clock.Now - start;

        async Task UserAsync(IScenarioStep step, TimeSpan joinAt)
        {
            await Task.Yield();
            if (joinAt > TimeSpan.Zero)
            {
                await clock.WaitUntilAsync(joinAt, cancellationToken).ConfigureAwait(false);
            }

            while (true)
            {
                var started = clock.Now;
                if (started >= end)
                {
                    return;
                }

                var result = await InvokeAsync(step, cancellationToken).ConfigureAwait(false);
                recorder.Record(started - start, clock.Now - started, result);
            }
        }
    }

    private async Task<TimeSpan> RunOpenAsync(Func<CancellationToken, ValueTask<IScenarioStep>> createStep, OpenModel open, TimeSpan duration,
        ScenarioRecorder recorder, CancellationToken cancellationToken)
    {
        // Steps are pooled: an open model has no users, only calls; a call takes an idle step or creates one.
        var idle = new Stack<IScenarioStep>();
        var all = new List<IScenarioStep>();
        var gate = new Lock();
        using var slots = new SemaphoreSlim(open.MaxInFlight, open.MaxInFlight);
        var inFlight = new List<Task>();
        var start = clock.Now;
        try
        {
            for (long i = 0; ; i++)
            {
                var due = open.ScheduledAt(i, duration);
                if (due >= duration)
                {
                    break;
                }

                await clock.WaitUntilAsync(start + due, cancellationToken).ConfigureAwait(false);
                await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
                IScenarioStep? step;
                lock (gate)
                {
                    idle.TryPop(out step);
                }

                if (step is null)
                {
                    step = await createStep(cancellationToken).ConfigureAwait(false);
                    lock (gate)
                    {
                        all.Add(step);
                    }
                }

                var call = CallAsync(step, due);
                if (!call.IsCompleted)
                {
                    inFlight.Add(call);
                    if (inFlight.Count >= 4096)
                    {
                        inFlight.RemoveAll(static t => t.IsCompleted);
                    }
                }
            }

            await Task.WhenAll(inFlight).ConfigureAwait(false);
        }
        finally
        {
            foreach (var step in all)
            {
                await step.DisposeAsync().ConfigureAwait(false);
            }
        }

        return clock.Now - start;

        async Task CallAsync(IScenarioStep step, TimeSpan due)
        {
            try
            {
                var result = await InvokeAsync(step, cancellationToken).ConfigureAwait(false);
                // From the schedule, not from when the call actually went out: a late start is the server's (or the
                // machine's) delay and must show in the latency.
                recorder.Record(due, clock.Now - (start + due), result);
            }
            finally
            {
                lock (gate)
                {
                    idle.Push(step);
                }

                slots.Release();
            }
        }
    }

    private static async ValueTask<StepResult> InvokeAsync(IScenarioStep step, CancellationToken cancellationToken)
    {
        try
        {
            return await step.InvokeAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
        {
            return StepResult.Failed(e.StatusCode.ToString());
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return StepResult.Failed(e.GetType().Name);
        }
    }
}

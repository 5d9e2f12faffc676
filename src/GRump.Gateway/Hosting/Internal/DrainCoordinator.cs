using Microsoft.Extensions.Options;

namespace GRump.Gateway.Hosting.Internal;

/// <summary>
/// Runs the graceful shutdown's first steps. The host calls every <see cref="IHostedLifecycleService.StoppingAsync"/>
/// before it stops any service, Kestrel included: so here the gateway turns not ready, keeps serving for the drain
/// delay while load balancers take it out, then refuses new calls; Kestrel then stops accepting and waits for the
/// calls in flight (HostOptions.ShutdownTimeout bounds the whole).
/// </summary>
internal sealed class DrainCoordinator(
    GatewayDrain drain,
    IHostApplicationLifetime lifetime,
    IOptions<GatewayOptions> options,
    TimeProvider time,
    ILogger<DrainCoordinator> logger) : IHostedLifecycleService
{
    private CancellationTokenRegistration _stopping;

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // A SIGTERM fires ApplicationStopping before the host calls StoppingAsync: turn not ready at the first sign.
        _stopping = lifetime.ApplicationStopping.Register(static state => ((DrainCoordinator)state!).BeginDraining(), this);
        return Task.CompletedTask;
    }

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        BeginDraining();
        var delay = options.Value.DrainDelay;
        if (delay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The shutdown timeout ran out during the delay: refuse now, the host is cutting calls anyway.
            }
        }

        if (drain.Advance(DrainPhase.Refusing))
        {
            HostingLog.Refusing(logger);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken)
    {
        _stopping.Dispose();
        return Task.CompletedTask;
    }

    private void BeginDraining()
    {
        if (drain.Advance(DrainPhase.Draining))
        {
            HostingLog.Draining(logger, options.Value.DrainDelay.TotalSeconds, options.Value.ShutdownTimeout.TotalSeconds);
        }
    }
}

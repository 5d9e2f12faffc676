using System.Collections.Concurrent;
using GRump.Gateway.Providers;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GRump.Gateway.Embeddings.Internal;

/// <summary>
/// One coalescer per (provider, model), created on first use, and the per-provider cap on batches in flight. On host
/// shutdown every queue is completed and drained after the server stopped (<see cref="IHostedLifecycleService.StoppedAsync"/>),
/// so calls Kestrel is still draining get their vectors.
/// </summary>
internal sealed class EmbeddingCoalescers(
    IOptions<EmbeddingOptions> options,
    EmbeddingMetrics metrics,
    TimeProvider time,
    ILogger<EmbeddingCoalescers> logger) : IHostedLifecycleService, IAsyncDisposable
{
    private readonly ConcurrentDictionary<(string Provider, string Model), Lazy<EmbeddingCoalescer>> _coalescers = new();
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _inFlight = new(StringComparer.Ordinal);

    public EmbeddingCoalescer Get(IEmbeddingProvider provider, string model)
    {
        ArgumentNullException.ThrowIfNull(provider);
        // Every call after the first finds it here, without allocating GetOrAdd's factory closure.
        if (_coalescers.TryGetValue((provider.Name, model), out var existing))
        {
            return existing.Value;
        }

        return _coalescers.GetOrAdd((provider.Name, model), key => new Lazy<EmbeddingCoalescer>(() => new EmbeddingCoalescer(
            provider,
            key.Model,
            options.Value,
            options.Value.MaxInFlightBatchesPerProvider > 0
                ? _inFlight.GetOrAdd(key.Provider, _ => new SemaphoreSlim(options.Value.MaxInFlightBatchesPerProvider))
                : null,
            metrics,
            time,
            logger))).Value;
    }

    Task IHostedService.StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    Task IHostedLifecycleService.StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    Task IHostedLifecycleService.StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    Task IHostedLifecycleService.StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    Task IHostedService.StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    async Task IHostedLifecycleService.StoppedAsync(CancellationToken cancellationToken)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(options.Value.DrainTimeout);
        await Task.WhenAll(Created().Select(c => c.DrainAsync(bounded.Token))).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var coalescer in Created())
        {
            await coalescer.DisposeAsync().ConfigureAwait(false);
        }
        foreach (var semaphore in _inFlight.Values)
        {
            semaphore.Dispose();
        }
    }

    private List<EmbeddingCoalescer> Created() => [.. _coalescers.Values.Where(l => l.IsValueCreated).Select(l => l.Value)];
}

using GRump.Gateway.Routing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GRump.Gateway.Embeddings.Internal;

/// <summary>Says once at start when this build has no local embedding model (a linux-musl publish), not at the first call.</summary>
internal sealed class LocalModelAvailabilityLog(ILogger<LocalEmbeddingProvider> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!LocalEmbeddingProvider.IsAvailable)
        {
            EmbeddingsLog.LocalModelUnavailable(logger, ModelRegistry.LocalEmbedding);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

using GRump.Gateway.Providers;
using GRump.Gateway.Routing;

namespace GRump.Gateway.Embeddings.Internal;

/// <summary>
/// The <c>local</c> embedding provider: <see cref="ModelRegistry.LocalEmbedding"/> in-process, no network. The model
/// (<see cref="LocalSentenceModel"/>, all six layers; the learned router has its own instance unless it runs all six too) loads on first use.
/// </summary>
/// <remarks>
/// Inference runs on a thread-pool thread (<see cref="Task.Run(Action)"/>), one batch at a time. Not on the worker pool:
/// a 256-input batch keeps every core busy for about a second (ONNX Runtime parallelises inside one run), which would hold
/// a worker meant for microsecond intent parses, skew its wait statistics and count against its 30 s task timeout while
/// queued. One at a time because two concurrent runs only split the same cores; the coalescer's queue is the buffer.
/// </remarks>
internal sealed class LocalEmbeddingProvider(LocalSentenceModel sentenceModel) : IEmbeddingProvider, IDisposable
{
    /// <summary>Set by a linux-musl publish (the gateway's csproj), which ships no ONNX Runtime: none exists for musl on NuGet.</summary>
    public const string UnavailableSwitch = "GRump.Gateway.Embeddings.LocalModelUnavailable";

    public static bool IsAvailable => !(AppContext.TryGetSwitch(UnavailableSwitch, out var unavailable) && unavailable);

    private readonly SemaphoreSlim _gate = new(1, 1);

    public string Name => ProviderNames.Local;

    public int MaxBatchSize => 256;

    public async Task<EmbeddingBatchResult> EmbedAsync(string model, IReadOnlyList<string> inputs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (!string.Equals(model, ModelRegistry.LocalEmbedding, StringComparison.Ordinal))
        {
            Errors.GatewayErrors.ThrowInvalidArgument("model", $"the local provider serves only '{ModelRegistry.LocalEmbedding}', not '{model}'");
        }

        if (!IsAvailable)
        {
            Errors.GatewayErrors.ThrowFailedPrecondition("LOCAL_MODEL_UNAVAILABLE",
                $"The local embedding model '{ModelRegistry.LocalEmbedding}' is not in this build (linux-musl/Alpine: no ONNX Runtime for musl). " +
                "Configure NVIDIA NIM embeddings (NVIDIA_NIM_API_KEY) or run the Debian-based image.");
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await Task.Run(() =>
            {
                var vectors = sentenceModel.Embed(inputs, out var tokens);
                return new EmbeddingBatchResult(vectors, tokens);
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException and not Errors.GatewayException)
        {
            throw new Errors.GatewayException(Errors.GatewayErrorKind.Unavailable,
                $"The local embedding model failed: {exception.Message}", innerException: exception) { Reason = "LOCAL_MODEL_FAILED" };
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();
}

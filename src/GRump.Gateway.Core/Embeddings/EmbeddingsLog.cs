using GRump.Gateway.Errors;
using Microsoft.Extensions.Logging;

namespace GRump.Gateway.Embeddings;

internal static partial class EmbeddingsLog
{
    [LoggerMessage(1, LogLevel.Information, "Embedding batch of {Count} inputs to {Provider}/{Model} failed ({Kind}): {Message}")]
    public static partial void BatchFailed(ILogger logger, string provider, string model, int count, GatewayErrorKind kind, string message);

    [LoggerMessage(2, LogLevel.Debug, "Embedding queue for {Provider}/{Model} is full ({Full}); rejecting a call.")]
    public static partial void QueueFull(ILogger logger, string provider, string model, string full);

    [LoggerMessage(3, LogLevel.Error, "The embedding coalescer for {Provider}/{Model} stopped unexpectedly.")]
    public static partial void ReaderFailed(ILogger logger, string provider, string model, Exception exception);

    [LoggerMessage(4, LogLevel.Warning, "Embedding drain for {Provider}/{Model} timed out with {Queued} texts queued; aborting in-flight batches.")]
    public static partial void DrainTimedOut(ILogger logger, string provider, string model, int queued);

    [LoggerMessage(5, LogLevel.Information, "Loaded the local sentence model {Model} ({Layers} of 6 layers, {Precision}) in {ElapsedMs:0} ms.")]
    public static partial void LocalModelLoaded(ILogger logger, string model, int layers, LocalModelPrecision precision, double elapsedMs);

    [LoggerMessage(6, LogLevel.Warning, "The local embedding model {Model} is not in this build (linux-musl: NuGet has no ONNX Runtime for musl); embeddings need NVIDIA NIM (NVIDIA_NIM_API_KEY) or the Debian-based image.")]
    public static partial void LocalModelUnavailable(ILogger logger, string model);

    [LoggerMessage(7, LogLevel.Error, "Loading the local embedding model {Model} in the background failed; routing decides without it.")]
    public static partial void LocalModelLoadFailed(ILogger logger, string model, Exception exception);
}

using GRump.Gateway.Errors;

namespace GRump.Gateway.Endpoints;

internal static partial class GrpcLog
{
    [LoggerMessage(1, LogLevel.Information, "{Method} failed with {Kind}: {Message}")]
    public static partial void KnownFailure(ILogger logger, string method, GatewayErrorKind kind, string message);

    [LoggerMessage(2, LogLevel.Debug, "{Method} was cancelled by the client.")]
    public static partial void ClientCancelled(ILogger logger, string method);

    [LoggerMessage(3, LogLevel.Information, "REST {Path} refused before transcoding: {Message}")]
    public static partial void RestBodyRefused(ILogger logger, string path, string message);

    [LoggerMessage(4, LogLevel.Debug, "REST {Path}: the client went away while sending its body.")]
    public static partial void RestBodyAbandoned(ILogger logger, string path);
}

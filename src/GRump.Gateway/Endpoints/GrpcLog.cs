using GRump.Gateway.Errors;

namespace GRump.Gateway.Endpoints;

internal static partial class GrpcLog
{
    [LoggerMessage(1, LogLevel.Information, "{Method} failed with {Kind}: {Message}")]
    public static partial void KnownFailure(ILogger logger, string method, GatewayErrorKind kind, string message);

    [LoggerMessage(2, LogLevel.Debug, "{Method} was cancelled by the client.")]
    public static partial void ClientCancelled(ILogger logger, string method);
}

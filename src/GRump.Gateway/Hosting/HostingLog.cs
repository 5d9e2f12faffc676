namespace GRump.Gateway.Hosting;

internal static partial class HostingLog
{
    // Scripts that start the gateway with port 0 read the ports from this exact line.
    [LoggerMessage(1, LogLevel.Information, "Listening grpc={GrpcUrl} http={HttpUrl}")]
    public static partial void Listening(ILogger logger, string grpcUrl, string httpUrl);

    [LoggerMessage(2, LogLevel.Critical, "Invalid configuration, not starting: {Failures}")]
    public static partial void InvalidConfiguration(ILogger logger, string failures);

    [LoggerMessage(3, LogLevel.Critical, "Cannot listen: {Reason}")]
    public static partial void CannotListen(ILogger logger, string reason);

    [LoggerMessage(4, LogLevel.Critical, "Cannot open the cost ledger, not starting: {Reason}")]
    public static partial void LedgerUnusable(ILogger logger, string reason);
}

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

    [LoggerMessage(4, LogLevel.Information, "Shutting down: not ready (readyz 503, gRPC health NOT_SERVING); new calls still served for {DrainDelaySeconds} s, calls in flight get up to {ShutdownTimeoutSeconds} s in all")]
    public static partial void Draining(ILogger logger, double drainDelaySeconds, double shutdownTimeoutSeconds);

    [LoggerMessage(5, LogLevel.Information, "Shutting down: new calls are refused with UNAVAILABLE; waiting for calls in flight")]
    public static partial void Refusing(ILogger logger);

    [LoggerMessage(6, LogLevel.Critical, "Cannot open the cost ledger, not starting: {Reason}")]
    public static partial void LedgerUnusable(ILogger logger, string reason);
}

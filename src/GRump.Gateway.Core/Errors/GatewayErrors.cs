using System.Diagnostics.CodeAnalysis;

namespace GRump.Gateway.Errors;

/// <summary>Throw helpers for the common failures, so call sites stay one line and the JIT keeps them cold.</summary>
public static class GatewayErrors
{
    [DoesNotReturn]
    public static void ThrowInvalidArgument(string field, string description) =>
        throw new GatewayException(GatewayErrorKind.InvalidArgument, $"{field}: {description}", [new FieldViolation(field, description)]) { Reason = "INVALID_ARGUMENT" };

    [DoesNotReturn]
    public static void ThrowQueueFull(string queue, int capacity) =>
        throw new GatewayException(GatewayErrorKind.ResourceExhausted, $"The {queue} queue is full ({capacity} tasks waiting); retry with backoff.")
        {
            Reason = "QUEUE_FULL",
            RetryAfter = TimeSpan.FromSeconds(1),
        };

    [DoesNotReturn]
    public static void ThrowShuttingDown() =>
        throw new GatewayException(GatewayErrorKind.Unavailable, "The gateway is shutting down; retry on another replica or after restart.") { Reason = "SHUTTING_DOWN" };

    [DoesNotReturn]
    public static void ThrowTimedOut(string what, TimeSpan timeout) =>
        throw new GatewayException(GatewayErrorKind.DeadlineExceeded, $"{what} did not finish within {timeout.TotalSeconds:0.###} s.") { Reason = "TASK_TIMEOUT" };

    [DoesNotReturn]
    public static void ThrowNotImplemented(string method, string feature) =>
        throw new GatewayException(GatewayErrorKind.NotImplemented, $"{method} is part of the {feature} feature, which this build does not include yet.") { Reason = "NOT_IMPLEMENTED" };

    /// <summary>The request cannot be served as asked (no model fits its cost cap, capabilities or size).</summary>
    [DoesNotReturn]
    public static void ThrowFailedPrecondition(string reason, string message) =>
        throw new GatewayException(GatewayErrorKind.FailedPrecondition, message) { Reason = reason };
}

using System.Diagnostics.CodeAnalysis;

namespace GRump.Gateway.Errors;

/// <summary>Throw helpers for the common failures, so call sites stay one line and the JIT keeps them cold.</summary>
public static class GatewayErrors
{
    [DoesNotReturn]
    public static void ThrowInvalidArgument(string field, string description) => throw InvalidArgument(field, description);

    /// <summary>INVALID_ARGUMENT naming <paramref name="field"/> (also for answering without a throw).</summary>
    public static GatewayException InvalidArgument(string field, string description) =>
        new(GatewayErrorKind.InvalidArgument, $"{field}: {description}", [new FieldViolation(field, description)]) { Reason = "INVALID_ARGUMENT" };

    [DoesNotReturn]
    public static void ThrowQueueFull(string queue, int capacity) => ThrowQueueFull(queue, $"{capacity} tasks waiting");

    /// <summary>RESOURCE_EXHAUSTED (<c>QUEUE_FULL</c>, retry after 1 s); <paramref name="full"/> says what filled it.</summary>
    [DoesNotReturn]
    public static void ThrowQueueFull(string queue, string full) =>
        throw new GatewayException(GatewayErrorKind.ResourceExhausted, $"The {queue} queue is full ({full}); retry with backoff.")
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

    /// <summary>A request body over the size limit of its door (REST, <c>/v1</c>); gRPC messages have their own limit.</summary>
    [DoesNotReturn]
    public static void ThrowPayloadTooLarge(long? size, long limit) => throw PayloadTooLarge(size, limit);

    public static GatewayException PayloadTooLarge(long? size, long limit) =>
        new(GatewayErrorKind.PayloadTooLarge,
            $"body: {(size is { } s ? $"{s} bytes" : "the body")} is over the limit of {limit} bytes ({limit >> 20} MiB) for this endpoint; send less per request.",
            [new FieldViolation("body", $"at most {limit} bytes")])
        { Reason = "PAYLOAD_TOO_LARGE" };
}

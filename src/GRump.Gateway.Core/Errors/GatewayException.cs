namespace GRump.Gateway.Errors;

/// <summary>A field of the request and what is wrong with it.</summary>
public readonly record struct FieldViolation(string Field, string Description);

/// <summary>
/// A known failure, thrown by features and turned into a gRPC status (and through transcoding an HTTP status) by the
/// host's one mapping (<c>Endpoints/GatewayStatus</c>). Anything else that escapes a service is a bug.
/// </summary>
public sealed class GatewayException : Exception
{
    public GatewayException(GatewayErrorKind kind, string message, IReadOnlyList<FieldViolation>? fieldViolations = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
        FieldViolations = fieldViolations ?? [];
    }

    public GatewayException()
        : this(GatewayErrorKind.InvalidArgument, "Invalid request.")
    {
    }

    public GatewayException(string message)
        : this(GatewayErrorKind.InvalidArgument, message)
    {
    }

    public GatewayException(string message, Exception innerException)
        : this(GatewayErrorKind.InvalidArgument, message, null, innerException)
    {
    }

    public GatewayErrorKind Kind { get; }

    public IReadOnlyList<FieldViolation> FieldViolations { get; }

    /// <summary>For RESOURCE_EXHAUSTED: when a retry may succeed.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>A stable machine-readable reason (google.rpc.ErrorInfo.reason), e.g. QUEUE_FULL.</summary>
    public string? Reason { get; init; }
}

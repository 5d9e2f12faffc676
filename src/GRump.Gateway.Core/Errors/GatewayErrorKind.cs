namespace GRump.Gateway.Errors;

/// <summary>The gateway's one error taxonomy (DESIGN.md, "Errors"); mapped to gRPC and HTTP in one place.</summary>
public enum GatewayErrorKind
{
    /// <summary>Malformed or oversized input. gRPC INVALID_ARGUMENT, HTTP 400.</summary>
    InvalidArgument,

    /// <summary>No or an invalid API key. UNAUTHENTICATED, 401.</summary>
    Unauthenticated,

    /// <summary>Another tenant's data. PERMISSION_DENIED, 403.</summary>
    PermissionDenied,

    /// <summary>Budget exhausted, rate limited or a queue full. RESOURCE_EXHAUSTED, 429.</summary>
    ResourceExhausted,

    /// <summary>No model fits the request's cost cap or capabilities. FAILED_PRECONDITION, 400.</summary>
    FailedPrecondition,

    /// <summary>Upstream down or circuit open. UNAVAILABLE, 503.</summary>
    Unavailable,

    /// <summary>A deadline or task timeout passed. DEADLINE_EXCEEDED, 504.</summary>
    DeadlineExceeded,

    /// <summary>The client went away. CANCELLED, 499.</summary>
    Cancelled,

    /// <summary>A contract method whose feature has not been built yet. UNIMPLEMENTED, 501.</summary>
    NotImplemented,

    /// <summary>A request body over its door's size limit. RESOURCE_EXHAUSTED (gRPC's own answer to an oversized message), HTTP 413.</summary>
    PayloadTooLarge,

    /// <summary>No such thing here (a model id, a path). NOT_FOUND, 404.</summary>
    NotFound,
}

using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using GRump.Gateway.Errors;

namespace GRump.Gateway.Endpoints;

/// <summary>
/// The one mapping of Core's error taxonomy (<see cref="GatewayErrorKind"/>) to the wire: gRPC status codes with rich
/// error details (what <see cref="GatewayExceptionInterceptor"/> throws, and JSON transcoding turns into HTTP), and the
/// HTTP status for the endpoints that are not transcoded gRPC. It lives in the host because Core speaks no protocol.
/// </summary>
public static class GatewayStatus
{
    public const string ErrorDomain = "grump.gateway";

    public static StatusCode ToStatusCode(GatewayErrorKind kind) => kind switch
    {
        GatewayErrorKind.InvalidArgument => StatusCode.InvalidArgument,
        GatewayErrorKind.Unauthenticated => StatusCode.Unauthenticated,
        GatewayErrorKind.PermissionDenied => StatusCode.PermissionDenied,
        GatewayErrorKind.ResourceExhausted => StatusCode.ResourceExhausted,
        GatewayErrorKind.FailedPrecondition => StatusCode.FailedPrecondition,
        GatewayErrorKind.Unavailable => StatusCode.Unavailable,
        GatewayErrorKind.DeadlineExceeded => StatusCode.DeadlineExceeded,
        GatewayErrorKind.Cancelled => StatusCode.Cancelled,
        GatewayErrorKind.NotImplemented => StatusCode.Unimplemented,
        GatewayErrorKind.PayloadTooLarge => StatusCode.ResourceExhausted,
        GatewayErrorKind.NotFound => StatusCode.NotFound,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unmapped gateway error kind."),
    };

    /// <summary>The HTTP status of each kind (DESIGN.md's error table), for the endpoints that are not transcoded gRPC.</summary>
    public static int ToHttpStatus(GatewayErrorKind kind) => kind switch
    {
        GatewayErrorKind.InvalidArgument or GatewayErrorKind.FailedPrecondition => 400,
        GatewayErrorKind.Unauthenticated => 401,
        GatewayErrorKind.PermissionDenied => 403,
        GatewayErrorKind.ResourceExhausted => 429,
        GatewayErrorKind.Unavailable => 503,
        GatewayErrorKind.DeadlineExceeded => 504,
        GatewayErrorKind.Cancelled => 499,
        GatewayErrorKind.NotImplemented => 501,
        GatewayErrorKind.PayloadTooLarge => 413,
        GatewayErrorKind.NotFound => 404,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unmapped gateway error kind."),
    };

    /// <summary>An <see cref="RpcException"/> carrying google.rpc.Status details (BadRequest, ErrorInfo, RetryInfo).</summary>
    public static RpcException ToRpcException(GatewayException exception) => ToRpcStatus(exception).ToRpcException();

    /// <summary>The google.rpc.Status of a failure (what transcoded REST routes answer as JSON), with its details.</summary>
    public static Google.Rpc.Status ToRpcStatus(GatewayException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var status = new Google.Rpc.Status
        {
            Code = (int)ToStatusCode(exception.Kind),
            Message = exception.Message,
        };
        if (exception.FieldViolations.Count > 0)
        {
            var badRequest = new BadRequest();
            foreach (var violation in exception.FieldViolations)
            {
                badRequest.FieldViolations.Add(new BadRequest.Types.FieldViolation { Field = violation.Field, Description = violation.Description });
            }

            status.Details.Add(Any.Pack(badRequest));
        }

        if (exception.Reason is { } reason)
        {
            status.Details.Add(Any.Pack(new ErrorInfo { Reason = reason, Domain = ErrorDomain }));
        }

        if (exception.RetryAfter is { } retryAfter)
        {
            status.Details.Add(Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(retryAfter) }));
        }

        return status;
    }
}

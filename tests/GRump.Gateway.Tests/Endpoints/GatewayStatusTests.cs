using Google.Rpc;
using Grpc.Core;
using GRump.Gateway.Endpoints;
using GRump.Gateway.Errors;

namespace GRump.Gateway.Tests.Endpoints;

public sealed class GatewayStatusTests
{
    public static TheoryData<GatewayErrorKind> Kinds => [.. Enum.GetValues<GatewayErrorKind>()];

    [Theory]
    [MemberData(nameof(Kinds))]
    public void EveryKind_HasAGrpcCodeAndAnHttpStatus_NeverUnknownOrInternal(GatewayErrorKind kind)
    {
        // Act
        var code = GatewayStatus.ToStatusCode(kind);
        var http = GatewayStatus.ToHttpStatus(kind);

        // Assert: DESIGN.md's error table never answers UNKNOWN, INTERNAL or a 5xx that hides a client error.
        Assert.NotEqual(StatusCode.Unknown, code);
        Assert.NotEqual(StatusCode.Internal, code);
        Assert.InRange(http, 400, 599);
        Assert.NotEqual(500, http);
    }

    [Theory]
    [InlineData(GatewayErrorKind.InvalidArgument, StatusCode.InvalidArgument, 400)]
    [InlineData(GatewayErrorKind.FailedPrecondition, StatusCode.FailedPrecondition, 400)]
    [InlineData(GatewayErrorKind.Unauthenticated, StatusCode.Unauthenticated, 401)]
    [InlineData(GatewayErrorKind.PermissionDenied, StatusCode.PermissionDenied, 403)]
    [InlineData(GatewayErrorKind.ResourceExhausted, StatusCode.ResourceExhausted, 429)]
    [InlineData(GatewayErrorKind.Cancelled, StatusCode.Cancelled, 499)]
    [InlineData(GatewayErrorKind.NotImplemented, StatusCode.Unimplemented, 501)]
    [InlineData(GatewayErrorKind.Unavailable, StatusCode.Unavailable, 503)]
    [InlineData(GatewayErrorKind.DeadlineExceeded, StatusCode.DeadlineExceeded, 504)]
    public void Kind_MapsPerDesignTable(GatewayErrorKind kind, StatusCode code, int http)
    {
        Assert.Equal(code, GatewayStatus.ToStatusCode(kind));
        Assert.Equal(http, GatewayStatus.ToHttpStatus(kind));
    }

    [Fact]
    public void ToRpcException_CarriesFieldViolationReasonAndRetry()
    {
        // Arrange
        var error = new GatewayException(GatewayErrorKind.ResourceExhausted, "slow down", [new FieldViolation("raw", "too long")])
        {
            Reason = "QUEUE_FULL",
            RetryAfter = TimeSpan.FromSeconds(2),
        };

        // Act
        var status = GatewayStatus.ToRpcException(error).GetRpcStatus();

        // Assert
        Assert.NotNull(status);
        Assert.Equal((int)StatusCode.ResourceExhausted, status.Code);
        Assert.Equal("slow down", status.Message);
        var violation = Assert.Single(status.GetDetail<BadRequest>()!.FieldViolations);
        Assert.Equal(("raw", "too long"), (violation.Field, violation.Description));
        Assert.Equal(("QUEUE_FULL", GatewayStatus.ErrorDomain), (status.GetDetail<ErrorInfo>()!.Reason, status.GetDetail<ErrorInfo>()!.Domain));
        Assert.Equal(TimeSpan.FromSeconds(2), status.GetDetail<RetryInfo>()!.RetryDelay.ToTimeSpan());
    }
}

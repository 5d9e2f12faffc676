using System.Globalization;
using System.Text.Json;
using GRump.Gateway.Errors;

namespace GRump.Gateway.OpenAi;

/// <summary>
/// Errors on <c>/v1</c> in OpenAI's shape: <c>{"error": {"message", "type", "param", "code"}}</c> with the HTTP status
/// of the gateway's one mapping (<see cref="GatewayStatus"/>). <c>code</c> is the failure's stable reason in
/// snake_case (<c>invalid_argument</c>, <c>budget_exhausted</c>, <c>payload_too_large</c>); messages never carry .NET
/// type names.
/// </summary>
internal static class OpenAiErrors
{
    public static async Task WriteAsync(HttpContext context, GatewayException error)
    {
        var response = context.Response;
        response.StatusCode = GatewayStatus.ToHttpStatus(error.Kind);
        if (error.RetryAfter is { } retryAfter)
        {
            response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }
        response.ContentType = "application/json";
        using var writer = new Utf8JsonWriter(response.BodyWriter);
        WriteObject(writer, error);
        await writer.FlushAsync(CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>The error object (also the payload of a mid-stream SSE error event).</summary>
    public static void WriteObject(Utf8JsonWriter writer, GatewayException error)
    {
        writer.WriteStartObject();
        writer.WriteStartObject("error");
        writer.WriteString("message", error.Message);
        writer.WriteString("type", Type(error.Kind));
        if (error.FieldViolations.Count > 0)
        {
            writer.WriteString("param", error.FieldViolations[0].Field);
        }
        else
        {
            writer.WriteNull("param");
        }
        writer.WriteString("code", Code(error));
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>OpenAI's error types by status class.</summary>
    public static string Type(GatewayErrorKind kind) => kind switch
    {
        GatewayErrorKind.Unauthenticated => "authentication_error",
        GatewayErrorKind.PermissionDenied => "permission_error",
        GatewayErrorKind.ResourceExhausted => "rate_limit_error",
        GatewayErrorKind.NotFound => "not_found_error",
        _ when GatewayStatus.ToHttpStatus(kind) < 500 => "invalid_request_error",
        _ => "server_error",
    };

    /// <summary>The reason (<c>BUDGET_EXHAUSTED</c> → <c>budget_exhausted</c>), else the kind (<c>InvalidArgument</c> → <c>invalid_argument</c>).</summary>
    public static string Code(GatewayException error) =>
        error.Reason is { Length: > 0 } reason
            ? (reason.Contains('_', StringComparison.Ordinal) || !reason.Any(char.IsLower) ? reason.ToLowerInvariant() : JsonNamingPolicy.SnakeCaseLower.ConvertName(reason))
            : JsonNamingPolicy.SnakeCaseLower.ConvertName(error.Kind.ToString());
}

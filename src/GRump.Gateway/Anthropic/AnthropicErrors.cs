using System.Text.Json;
using GRump.Gateway.Errors;
using GRump.Gateway.OpenAi;

namespace GRump.Gateway.Anthropic;

/// <summary>
/// Errors in Anthropic's shape — <c>{"type": "error", "error": {"type", "message"}}</c> — with the gateway's one
/// status mapping (the same as the OpenAI door's: 413 for an oversized body, <c>Retry-After</c> when known), as a
/// response or as a stream's <c>error</c> event. The message starts with the field it is about.
/// </summary>
internal static class AnthropicErrors
{
    public static Task WriteAsync(HttpContext context, GatewayException error) => OpenAiErrors.WriteAsync(context, error, WriteObject);

    public static void WriteObject(Utf8JsonWriter writer, GatewayException error)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(error);
        writer.WriteStartObject();
        writer.WriteString("type", "error");
        writer.WriteStartObject("error");
        writer.WriteString("type", TypeOf(error));
        writer.WriteString("message", error.Message);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>Anthropic's error types; the HTTP status stays the gateway's (clients decide retries by status).</summary>
    public static string TypeOf(GatewayException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (error.Kind == GatewayErrorKind.PayloadTooLarge)
        {
            return "request_too_large";
        }

        return error.Kind switch
        {
            GatewayErrorKind.InvalidArgument or GatewayErrorKind.FailedPrecondition => "invalid_request_error",
            GatewayErrorKind.Unauthenticated => "authentication_error",
            GatewayErrorKind.PermissionDenied => "permission_error",
            GatewayErrorKind.NotFound => "not_found_error",
            GatewayErrorKind.ResourceExhausted => "rate_limit_error",
            GatewayErrorKind.Unavailable => "overloaded_error",
            GatewayErrorKind.DeadlineExceeded => "timeout_error",
            _ => "api_error",
        };
    }
}

using System.Globalization;
using System.Text.Json;
using GRump.Gateway.Endpoints;
using GRump.Gateway.Errors;

namespace GRump.Gateway.OpenAi;

/// <summary>
/// Errors in OpenAI's shape — <c>{"error": {"message", "type", "param", "code"}}</c> — with the gateway's one status
/// mapping (413 for an oversized body), for the OpenAI doors: as a response, or as a stream's last event.
/// </summary>
internal static class OpenAiErrors
{
    public static Task WriteAsync(HttpContext context, GatewayException error) => WriteAsync(context, error, WriteObject);

    /// <summary>
    /// The error response of a <c>/v1</c> door: the one status mapping, <c>Retry-After</c> when known, and the body in
    /// the door's shape (<paramref name="writeBody"/>: OpenAI's here, Anthropic's in <c>AnthropicErrors</c>).
    /// </summary>
    public static async Task WriteAsync(HttpContext context, GatewayException error, Action<Utf8JsonWriter, GatewayException> writeBody)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(error);
        ArgumentNullException.ThrowIfNull(writeBody);
        var response = context.Response;
        response.StatusCode = StatusOf(error);
        if (error.RetryAfter is { } retryAfter)
        {
            response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        response.ContentType = "application/json";
        using var writer = new Utf8JsonWriter(response.BodyWriter);
        writeBody(writer, error);
        await writer.FlushAsync(CancellationToken.None).ConfigureAwait(false);
    }

    public static int StatusOf(GatewayException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return GatewayStatus.ToHttpStatus(error.Kind);
    }

    public static void WriteObject(Utf8JsonWriter writer, GatewayException error)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(error);
        writer.WriteStartObject();
        writer.WriteStartObject("error");
        writer.WriteString("message", error.Message);
        writer.WriteString("type", error.Kind switch
        {
            GatewayErrorKind.InvalidArgument or GatewayErrorKind.FailedPrecondition or GatewayErrorKind.PayloadTooLarge or GatewayErrorKind.NotFound => "invalid_request_error",
            GatewayErrorKind.Unauthenticated => "authentication_error",
            GatewayErrorKind.PermissionDenied => "permission_error",
            GatewayErrorKind.ResourceExhausted => "rate_limit_error",
            GatewayErrorKind.NotImplemented => "not_implemented_error",
            _ => "server_error",
        });
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

    /// <summary>snake_case: the error's reason (<c>budget_exhausted</c>), else its kind (<c>invalid_argument</c>).</summary>
    public static string Code(GatewayException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (error.Reason is { Length: > 0 } reason)
        {
            return reason.ToLowerInvariant();
        }

        var kind = error.Kind.ToString();
        var snake = new System.Text.StringBuilder(kind.Length + 4);
        for (var i = 0; i < kind.Length; i++)
        {
            if (char.IsUpper(kind[i]) && i > 0)
            {
                snake.Append('_');
            }

            snake.Append(char.ToLowerInvariant(kind[i]));
        }

        return snake.ToString();
    }
}

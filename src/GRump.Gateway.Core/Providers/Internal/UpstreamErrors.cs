using System.Net;
using System.Text.Json;
using GRump.Gateway.Errors;

namespace GRump.Gateway.Providers.Internal;

/// <summary>
/// An upstream's error response → the gateway's taxonomy, naming the provider and the status (never the upstream's
/// address). The upstream's own message is relayed only when it helps the caller fix the request, and always through
/// <see cref="SecretRedactor"/>; an authentication failure's body is never relayed — it is about the gateway's key,
/// not the caller's request. Shared by the chat/embedding adapters and the <c>/v1</c> passthrough.
/// </summary>
internal static class UpstreamErrors
{
    /// <summary>The most of an error body that is read.</summary>
    public const int MaxErrorBodyBytes = 4096;

    /// <summary>Reads at most <see cref="MaxErrorBodyBytes"/> of the body and maps the status; <c>Detail</c> is the redacted upstream message (for logs).</summary>
    public static async Task<(GatewayException Error, string Detail)> DescribeAsync(string provider, HttpResponseMessage response, IReadOnlyCollection<string> secrets,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        var body = await ReadBodyAsync(response, cancellationToken).ConfigureAwait(false);
        var detail = SecretRedactor.Redact(MessageOf(body), secrets);
        return (Describe(provider, (int)response.StatusCode, detail, response.Headers.RetryAfter?.Delta), detail);
    }

    /// <summary>The error for an upstream status; <paramref name="detail"/> must already be redacted.</summary>
    public static GatewayException Describe(string provider, int status, string detail, TimeSpan? retryAfter)
    {
        var what = $"Upstream '{provider}' answered {status}{(detail.Length > 0 ? ": " + detail : ".")}";
        return status switch
        {
            400 or 404 or 413 or 422 => new GatewayException(GatewayErrorKind.InvalidArgument, what + " (the request was rejected as invalid)")
            { Reason = "UPSTREAM_REJECTED" },
            401 or 403 or 407 => new GatewayException(GatewayErrorKind.Unavailable,
                $"Upstream '{provider}' answered {status}: it refused the gateway's credentials for '{provider}' (an operator must check the configured API key). The upstream's message is not relayed.")
            { Reason = "UPSTREAM_AUTH" },
            429 => new GatewayException(GatewayErrorKind.ResourceExhausted, what + " (rate limited upstream; retry later)")
            { Reason = "UPSTREAM_RATE_LIMITED", RetryAfter = retryAfter ?? TimeSpan.FromSeconds(1) },
            408 => new GatewayException(GatewayErrorKind.DeadlineExceeded, what) { Reason = "UPSTREAM_TIMEOUT" },
            _ => new GatewayException(GatewayErrorKind.Unavailable, what) { Reason = "UPSTREAM_ERROR", RetryAfter = retryAfter },
        };
    }

    public static bool IsAuthFailure(HttpStatusCode status) => status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden or HttpStatusCode.ProxyAuthenticationRequired;

    /// <summary>The message of an OpenAI (<c>{"error":{"message"}}</c>, <c>{"error":"…"}</c>), Anthropic or plain <c>{"message"}</c> error body; empty otherwise.</summary>
    public static string MessageOf(ReadOnlyMemory<byte> body)
    {
        if (body.IsEmpty)
        {
            return string.Empty;
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return string.Empty;
            }

            if (root.TryGetProperty("error", out var error))
            {
                if (error.ValueKind == JsonValueKind.String)
                {
                    return error.GetString() ?? string.Empty;
                }

                if (error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message", out var nested) && nested.ValueKind == JsonValueKind.String)
                {
                    return nested.GetString() ?? string.Empty;
                }
            }

            return root.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String ? message.GetString() ?? string.Empty : string.Empty;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException)
        {
            // Not JSON (an HTML error page, a proxy's text): nothing worth relaying.
            return string.Empty;
        }
    }

    private static async Task<ReadOnlyMemory<byte>> ReadBodyAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                var buffer = new byte[MaxErrorBodyBytes];
                var length = 0;
                int read;
                while (length < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false)) > 0)
                {
                    length += read;
                }

                return buffer.AsMemory(0, length);
            }
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException)
        {
            return ReadOnlyMemory<byte>.Empty;
        }
    }
}

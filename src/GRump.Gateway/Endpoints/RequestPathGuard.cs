using GRump.Gateway.Errors;
using GRump.Gateway.OpenAi;
using Microsoft.AspNetCore.Http.Features;

namespace GRump.Gateway.Endpoints;

/// <summary>
/// Refuses, on both ports and before any endpoint runs, a request path that is not in normal form: empty segments
/// (<c>//</c>), encoded slashes or backslashes (<c>%2F</c>, <c>%5C</c>), backslashes, dot segments (<c>.</c>,
/// <c>..</c>, also encoded). Such a path can name a native route in a form the router does not match (so it would fall
/// through to a catch-all) while an upstream normalizes it back: <c>/v1//chat/completions</c> must never become a
/// forwarded chat call. 400 <c>INVALID_ARGUMENT</c> (field <c>path</c>), never forwarded.
/// </summary>
internal static class RequestPathGuard
{
    public static IApplicationBuilder UseRequestPathGuard(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (Violation(context) is { } why)
        {
            await OpenAiErrors.WriteAsync(context, new GatewayException(GatewayErrorKind.InvalidArgument,
                $"path: {why} are not allowed; send the path in its normal form.", [new FieldViolation("path", why)]) { Reason = "INVALID_PATH" }).ConfigureAwait(false);
            return;
        }

        await next(context).ConfigureAwait(false);
    });

    /// <summary>What is wrong with the request's path, or null when it is in normal form.</summary>
    /// <remarks>Runs on every request: no allocation, and the case-insensitive searches only when a '%' is there.</remarks>
    public static string? Violation(HttpContext context)
    {
        // Kestrel has decoded the path (all but %2F) and resolved dot segments; the raw target shows what was sent.
        var path = context.Request.Path.Value ?? string.Empty;
        var raw = RawPath(context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? path);
        if (path.Contains("//", StringComparison.Ordinal) || raw.Contains("//", StringComparison.Ordinal))
        {
            return "empty path segments ('//')";
        }

        if (path.Contains('\\', StringComparison.Ordinal) || raw.Contains('\\') || HasEscape(raw, "%5C"))
        {
            return "backslashes";
        }

        if (HasEscape(path, "%2F") || HasEscape(raw, "%2F"))
        {
            return "encoded slashes ('%2F')";
        }

        return HasDotSegment(raw) ? "dot segments ('.' or '..')" : null;
    }

    private static bool HasEscape(ReadOnlySpan<char> text, string escape) =>
        text.Contains('%') && text.Contains(escape, StringComparison.OrdinalIgnoreCase);

    /// <summary>A segment that is one or two dots, each written as '.' or '%2E' (either case).</summary>
    private static bool HasDotSegment(ReadOnlySpan<char> path)
    {
        while (true)
        {
            var end = path.IndexOf('/');
            if (IsDots(end < 0 ? path : path[..end]))
            {
                return true;
            }
            if (end < 0)
            {
                return false;
            }
            path = path[(end + 1)..];
        }
    }

    private static bool IsDots(ReadOnlySpan<char> segment)
    {
        var dots = 0;
        while (!segment.IsEmpty)
        {
            if (segment[0] == '.')
            {
                segment = segment[1..];
            }
            else if (segment.Length >= 3 && segment[0] == '%' && segment[1] == '2' && (segment[2] | 0x20) == 'e')
            {
                segment = segment[3..];
            }
            else
            {
                return false;
            }
            if (++dots > 2)
            {
                return false;
            }
        }
        return dots > 0;
    }

    /// <summary>The path part of a request target (origin form, or the path of an absolute-form target), without the query.</summary>
    private static ReadOnlySpan<char> RawPath(string target)
    {
        var span = target.AsSpan();
        var query = span.IndexOf('?');
        if (query >= 0)
        {
            span = span[..query];
        }

        var scheme = span.IndexOf("://", StringComparison.Ordinal);
        if (scheme > 0 && !span.StartsWith('/'))
        {
            var pathStart = span[(scheme + 3)..].IndexOf('/');
            span = pathStart < 0 ? "/" : span[(scheme + 3 + pathStart)..];
        }

        return span;
    }
}

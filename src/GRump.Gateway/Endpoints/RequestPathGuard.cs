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
    public static string? Violation(HttpContext context)
    {
        // Kestrel has decoded the path (all but %2F) and resolved dot segments; the raw target shows what was sent.
        var path = context.Request.Path.Value ?? string.Empty;
        var raw = RawPath(context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? path);
        if (path.Contains("//", StringComparison.Ordinal) || raw.Contains("//", StringComparison.Ordinal))
        {
            return "empty path segments ('//')";
        }

        if (path.Contains('\\', StringComparison.Ordinal) || raw.Contains('\\', StringComparison.Ordinal) || raw.Contains("%5C", StringComparison.OrdinalIgnoreCase))
        {
            return "backslashes";
        }

        if (path.Contains("%2F", StringComparison.OrdinalIgnoreCase) || raw.Contains("%2F", StringComparison.OrdinalIgnoreCase))
        {
            return "encoded slashes ('%2F')";
        }

        var decodedDots = raw.Replace("%2E", ".", StringComparison.OrdinalIgnoreCase);
        foreach (var segment in decodedDots.Split('/'))
        {
            if (segment is "." or "..")
            {
                return "dot segments ('.' or '..')";
            }
        }

        return null;
    }

    /// <summary>The path part of a request target (origin form, or the path of an absolute-form target), without the query.</summary>
    private static string RawPath(string target)
    {
        var query = target.IndexOf('?', StringComparison.Ordinal);
        if (query >= 0)
        {
            target = target[..query];
        }

        var scheme = target.IndexOf("://", StringComparison.Ordinal);
        if (scheme > 0 && !target.StartsWith('/'))
        {
            var pathStart = target.IndexOf('/', scheme + 3);
            target = pathStart < 0 ? "/" : target[pathStart..];
        }

        return target;
    }
}

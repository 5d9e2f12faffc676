using GRump.Gateway.Dashboard.Internal;
using GRump.Gateway.Endpoints;
using GRump.Gateway.Errors;
using GRump.Gateway.OpenAi;
using Microsoft.Net.Http.Headers;

namespace GRump.Gateway.Hosting.Internal;

/// <summary>
/// Once a shutdown refuses new calls, a call that still arrives (on a connection opened before, or from a balancer
/// that has not yet noticed) is answered UNAVAILABLE / 503 at once instead of starting work the process may not live
/// to finish; calls already running are not touched. Health probes and /metrics keep answering.
/// </summary>
internal static class RefuseWhileStopping
{
    public static IApplicationBuilder UseRefuseWhileStopping(this IApplicationBuilder app)
    {
        var drain = app.ApplicationServices.GetRequiredService<GatewayDrain>();
        return app.Use((context, next) =>
            drain.Phase == DrainPhase.Refusing && !IsProbe(context.Request.Path) ? RefuseAsync(context) : next(context));
    }

    private static bool IsProbe(PathString path) =>
        path.StartsWithSegments("/healthz") || path.StartsWithSegments("/readyz") || path.StartsWithSegments("/metrics") ||
        path.StartsWithSegments("/grpc.health.v1.Health");

    private static Task RefuseAsync(HttpContext context)
    {
        var error = new GatewayException(GatewayErrorKind.Unavailable, "The gateway is shutting down; retry on another replica or after restart.")
        {
            Reason = "SHUTTING_DOWN",
            RetryAfter = TimeSpan.FromSeconds(1),
        };
        var response = context.Response;
        if (context.Request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true)
        {
            // A gRPC "trailers-only" response: the status travels in the headers of an empty 200 answer.
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = context.Request.ContentType;
            response.Headers["grpc-status"] = ((int)GatewayStatus.ToStatusCode(error.Kind)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            response.Headers["grpc-message"] = Uri.EscapeDataString(error.Message);
            return Task.CompletedTask;
        }

        // HTTP/1.1 keep-alive: close, so the client's next request opens a connection the balancer sends elsewhere.
        response.Headers[HeaderNames.Connection] = "close";
        return context.Request.Path.StartsWithSegments("/v1") ? OpenAiErrors.WriteAsync(context, error) : ApiErrors.WriteAsync(context, error);
    }
}

using System.Globalization;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using GRump.Gateway.Endpoints;
using GRump.Gateway.Errors;

namespace GRump.Gateway.Dashboard.Internal;

/// <summary>
/// Errors of the dashboard's own routes in the shape the transcoded <c>/api/*</c> routes answer: the HTTP status of
/// the one mapping and a google.rpc.Status body (code, message, details), so a client reads every /api error alike.
/// </summary>
internal static class ApiErrors
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default
        .WithFormatDefaultValues(true)
        .WithTypeRegistry(TypeRegistry.FromMessages(Google.Rpc.ErrorInfo.Descriptor, Google.Rpc.RetryInfo.Descriptor, Google.Rpc.BadRequest.Descriptor)));

    public static Task WriteAsync(HttpContext context, GatewayException error)
    {
        var response = context.Response;
        response.StatusCode = GatewayStatus.ToHttpStatus(error.Kind);
        response.ContentType = "application/json; charset=utf-8";
        response.Headers.CacheControl = "no-store";
        if (error.RetryAfter is { } retryAfter)
        {
            response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }
        return response.WriteAsync(Formatter.Format(GatewayStatus.ToRpcStatus(error)), context.RequestAborted);
    }
}

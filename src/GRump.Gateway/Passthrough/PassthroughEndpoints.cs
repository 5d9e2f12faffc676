using GRump.Gateway.Auth;
using GRump.Gateway.Errors;
using GRump.Gateway.Hosting;
using GRump.Gateway.OpenAi;

namespace GRump.Gateway.Passthrough;

/// <summary>
/// Every <c>/v1/*</c> path the gateway does not serve itself lands here: authenticated first (401 without a valid
/// key, whatever the path), then answered only on the HTTP port (the gRPC port forwards nothing) and only for an
/// allow-listed path (else 404) by <see cref="PassthroughProxy"/>. Errors are OpenAI error objects.
/// </summary>
internal static class PassthroughEndpoints
{
    public static IEndpointRouteBuilder MapPassthrough(this IEndpointRouteBuilder app)
    {
        // After the native /v1 endpoints: a catch-all is the least specific route.
        app.Map("/v1/{**rest}", ForwardAsync);
        return app;
    }

    private static async Task ForwardAsync(HttpContext context, PassthroughProxy proxy, GatewayEndpoints endpoints)
    {
        try
        {
            var caller = context.GetCaller();
            if (endpoints.HttpUrl is not { } http || context.Connection.LocalPort != http.Port)
            {
                throw new GatewayException(GatewayErrorKind.NotFound,
                    $"{context.Request.Path} is not served on this port; the /v1 API is on the HTTP port.") { Reason = "NOT_FOUND" };
            }

            await proxy.ForwardAsync(context, caller).ConfigureAwait(false);
        }
        catch (GatewayException ex) when (!context.Response.HasStarted)
        {
            await OpenAiErrors.WriteAsync(context, ex).ConfigureAwait(false);
        }
        catch (GatewayException)
        {
            // The answer was already under way (e.g. its ledger row failed after the last byte): the client must not
            // take a cut or unrecorded answer for a whole one.
            context.Abort();
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; the forwarder stopped the upstream call.
        }
    }
}

using GRump.Gateway.Endpoints;
using GRump.Gateway.Errors;

namespace GRump.Gateway.Auth;

/// <summary>With API keys configured, /metrics answers only an admin key or the metrics key (401 / 403 otherwise).</summary>
internal static class MetricsAuthorization
{
    public static IApplicationBuilder UseMetricsAuthorization(this IApplicationBuilder app) =>
        app.UseWhen(context => context.Request.Path.StartsWithSegments("/metrics"), branch => branch.Use(async (context, next) =>
        {
            try
            {
                context.RequestServices.GetRequiredService<ApiKeyAuthenticator>().AuthorizeMetrics(CallerHttpContextExtensions.PresentedKey(context.Request.Headers));
            }
            catch (GatewayException ex)
            {
                context.Response.StatusCode = GatewayStatus.ToHttpStatus(ex.Kind);
                await context.Response.WriteAsync(ex.Message, context.RequestAborted).ConfigureAwait(false);
                return;
            }
            await next(context).ConfigureAwait(false);
        }));
}

using System.Text.Json.Serialization;
using GRump.Gateway.Auth;
using GRump.Gateway.Errors;

namespace GRump.Gateway.Dashboard.Internal;

/// <summary>
/// <c>GET /api/dashboard/session</c>: who the presented key is — its tenant, whether it is an admin (who may switch
/// tenants) and, for an admin, the tenants of the configured keys. Without any key in keyed mode it says only that a
/// key is needed (<c>authenticated: false</c>, what the static shell shows anyway) so the page can ask for one; an
/// invalid key is 401.
/// </summary>
internal static class DashboardSession
{
    public static async Task GetAsync(HttpContext context, ApiKeyAuthenticator authenticator)
    {
        context.Response.Headers.CacheControl = "no-store";
        if (authenticator.Enabled && CallerHttpContextExtensions.PresentedKey(context.Request.Headers) is null)
        {
            await context.Response.WriteAsJsonAsync(new SessionInfo(string.Empty, Admin: false, Keyed: true, Authenticated: false, []),
                DashboardJsonContext.Default.SessionInfo, cancellationToken: context.RequestAborted).ConfigureAwait(false);
            return;
        }
        Caller caller;
        try
        {
            caller = context.GetCaller();
        }
        catch (GatewayException ex)
        {
            await ApiErrors.WriteAsync(context, ex).ConfigureAwait(false);
            return;
        }
        var session = new SessionInfo(caller.Tenant, caller.IsAdmin, authenticator.Enabled, Authenticated: true,
            caller.IsAdmin ? authenticator.Tenants : [caller.Tenant]);
        await context.Response.WriteAsJsonAsync(session, DashboardJsonContext.Default.SessionInfo, cancellationToken: context.RequestAborted).ConfigureAwait(false);
    }
}

/// <summary>The caller as the page needs it.</summary>
internal sealed record SessionInfo(string UserId, bool Admin, bool Keyed, bool Authenticated, IReadOnlyList<string> Tenants);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(SessionInfo))]
internal sealed partial class DashboardJsonContext : JsonSerializerContext;

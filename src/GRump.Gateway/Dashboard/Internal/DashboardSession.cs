using System.Text.Json.Serialization;
using GRump.Gateway.Auth;
using GRump.Gateway.Errors;

namespace GRump.Gateway.Dashboard.Internal;

/// <summary>
/// <c>GET /api/dashboard/session</c>: who the presented key is — its tenant, whether it is an admin (who may switch
/// tenants) and, for an admin, the tenants of the configured keys. 401 without a valid key in keyed mode.
/// </summary>
internal static class DashboardSession
{
    public static async Task GetAsync(HttpContext context, ApiKeyAuthenticator authenticator)
    {
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
        var session = new SessionInfo(caller.Tenant, caller.IsAdmin, authenticator.Enabled,
            caller.IsAdmin ? authenticator.Tenants : [caller.Tenant]);
        context.Response.Headers.CacheControl = "no-store";
        await context.Response.WriteAsJsonAsync(session, DashboardJsonContext.Default.SessionInfo, cancellationToken: context.RequestAborted).ConfigureAwait(false);
    }
}

/// <summary>The caller as the page needs it.</summary>
internal sealed record SessionInfo(string UserId, bool Admin, bool Keyed, IReadOnlyList<string> Tenants);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(SessionInfo))]
internal sealed partial class DashboardJsonContext : JsonSerializerContext;

using GRump.Gateway.Errors;

namespace GRump.Gateway.Auth;

/// <summary>Who is calling: the tenant every cache entry, budget and cost record is scoped to, and the role.</summary>
public sealed record Caller(string Tenant, bool IsAdmin)
{
    public const string DefaultTenant = "default";

    /// <summary>The caller of anonymous mode (no keys configured): the single tenant, not an admin.</summary>
    public static Caller Anonymous { get; } = new(DefaultTenant, IsAdmin: false);

    /// <summary>
    /// The tenant a request acts for: <paramref name="requested"/> when given (a <c>userId</c>), else the caller's own.
    /// Another tenant's id is PERMISSION_DENIED unless the caller is an admin.
    /// </summary>
    public string ActFor(string? requested)
    {
        if (string.IsNullOrEmpty(requested) || requested == Tenant)
        {
            return Tenant;
        }
        if (!IsAdmin)
        {
            throw new GatewayException(GatewayErrorKind.PermissionDenied,
                $"userId '{Shorten(requested)}' is another tenant; a key may only act for its own tenant ('{Tenant}') unless it is an admin key.")
            { Reason = "OTHER_TENANT" };
        }
        if (requested.Length > 128)
        {
            GatewayErrors.ThrowInvalidArgument("user_id", "is longer than 128 characters");
        }
        return requested;
    }

    private static string Shorten(string value) => value.Length <= 64 ? value : value[..64] + "…";
}

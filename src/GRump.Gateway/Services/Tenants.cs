namespace GRump.Gateway.Services;

/// <summary>Tenant ids. Until API keys land (#8) every caller is the anonymous tenant, which is why the host binds loopback only.</summary>
internal static class Tenants
{
    public const string Default = "default";
}

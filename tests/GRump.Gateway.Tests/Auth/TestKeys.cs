using Grpc.Core;

namespace GRump.Gateway.Tests.Auth;

/// <summary>Keyed mode as the hostile-tenant tests use it: two users (tenants a and b) and one admin (tenant ops).</summary>
internal static class TestKeys
{
    public const string A = "tenant-a-key-0123456789";
    public const string B = "tenant-b-key-0123456789";
    public const string Admin = "admin-key-0123456789abc";

    /// <summary>The three keys plus <paramref name="more"/> settings.</summary>
    public static Dictionary<string, string?> Settings(IDictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Auth:Keys:0:Key"] = A,
            ["Auth:Keys:0:Tenant"] = "a",
            ["Auth:Keys:1:Key"] = B,
            ["Auth:Keys:1:Tenant"] = "b",
            ["Auth:Keys:2:Key"] = Admin,
            ["Auth:Keys:2:Tenant"] = "ops",
            ["Auth:Keys:2:Role"] = "admin",
        };
        foreach (var (key, value) in more ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        return settings;
    }

    /// <summary>gRPC metadata carrying <paramref name="key"/> as a bearer token.</summary>
    public static Metadata Bearer(string key) => new() { { "authorization", "Bearer " + key } };
}

using System.ComponentModel.DataAnnotations;

namespace GRump.Gateway.Auth;

/// <summary>
/// <c>Auth</c> configuration. No keys = anonymous mode: every caller is tenant <c>default</c> and the host refuses
/// non-loopback binds unless <c>Gateway:AllowAnonymous</c> is set.
/// </summary>
public sealed class AuthOptions
{
    public const string SectionName = "Auth";

    public List<ApiKeyOptions> Keys { get; set; } = [];

    /// <summary>A key that may read /metrics only (a scraper's), besides admin keys. Plain or as <see cref="MetricsKeySha256"/>.</summary>
    public string MetricsKey { get; set; } = string.Empty;

    public string MetricsKeySha256 { get; set; } = string.Empty;

    /// <summary>Requests per minute per tenant (0 = unlimited).</summary>
    [Range(0, int.MaxValue)]
    public int RequestsPerMinute { get; set; }

    /// <summary>Estimated tokens (prompt + max output) per minute per tenant (0 = unlimited).</summary>
    [Range(0, int.MaxValue)]
    public int TokensPerMinute { get; set; }
}

/// <summary>One API key. Give <see cref="KeySha256"/> (hex) in shared configuration; <see cref="Key"/> is hashed at start.</summary>
public sealed class ApiKeyOptions
{
    public string Key { get; set; } = string.Empty;

    public string KeySha256 { get; set; } = string.Empty;

    public string Tenant { get; set; } = string.Empty;

    /// <summary><c>user</c> (acts as its own tenant) or <c>admin</c> (may act for any tenant and clear caches).</summary>
    public string Role { get; set; } = CallerRoles.User;
}

public static class CallerRoles
{
    public const string User = "user";
    public const string Admin = "admin";
}

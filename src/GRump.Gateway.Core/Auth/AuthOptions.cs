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

    /// <summary>Requests per tenant in any 60 s (0 = unlimited): chat, embeddings and passthrough calls (a sliding window).</summary>
    [Range(0, 10_000_000)]
    public int RequestsPerMinute { get; set; }

    /// <summary>Estimated tokens (prompt + output limit) per tenant in any 60 s (0 = unlimited).</summary>
    [Range(0, int.MaxValue)]
    public int TokensPerMinute { get; set; }

    /// <summary>With Redis configured: prefix of the rate-limit keys every replica shares.</summary>
    [Required(AllowEmptyStrings = false)]
    [RegularExpression(@"^[A-Za-z0-9:_\-.]{1,64}$", ErrorMessage = "Use 1-64 letters, digits, ':', '_', '-', '.' (no glob or hash-tag characters).")]
    public string RateLimitRedisKeyPrefix { get; set; } = "grump:ratelimit:";

    /// <summary>With Redis configured: the longest a rate-limit check waits for Redis before this replica decides alone.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:00:10")]
    public TimeSpan RateLimitRedisTimeout { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>After Redis failed to answer, how long replicas enforce limits on their own before asking Redis again.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan RateLimitRedisRetryInterval { get; set; } = TimeSpan.FromSeconds(5);
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

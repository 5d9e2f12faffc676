using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;
using GRump.Gateway.Errors;
using Microsoft.Extensions.Options;

namespace GRump.Gateway.Auth;

/// <summary>
/// API keys → callers, in memory (no I/O per request). Keys are held only as SHA-256 hashes. In anonymous mode (no
/// keys) every request is <see cref="Caller.Anonymous"/>; in keyed mode a missing or unknown key is UNAUTHENTICATED.
/// </summary>
public sealed class ApiKeyAuthenticator
{
    private readonly FrozenDictionary<string, Caller> _byHash;
    private readonly string _metricsKeyHash;

    public ApiKeyAuthenticator(IOptions<AuthOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var keys = new Dictionary<string, Caller>(StringComparer.Ordinal);
        foreach (var key in options.Value.Keys)
        {
            keys[HashOf(key)] = new Caller(key.Tenant.Trim(), string.Equals(key.Role, CallerRoles.Admin, StringComparison.OrdinalIgnoreCase));
        }
        _byHash = keys.ToFrozenDictionary(StringComparer.Ordinal);
        Tenants = [.. keys.Values.Select(c => c.Tenant).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        var auth = options.Value;
        _metricsKeyHash = auth.MetricsKeySha256.Length > 0 ? auth.MetricsKeySha256.Trim().ToLowerInvariant()
            : auth.MetricsKey.Length > 0 ? Hash(auth.MetricsKey) : string.Empty;
    }

    /// <summary>
    /// Whether a presented key may scrape /metrics: anyone in anonymous mode; otherwise an admin key or the metrics key.
    /// Throws UNAUTHENTICATED for a missing or unknown key, PERMISSION_DENIED for a user key.
    /// </summary>
    public void AuthorizeMetrics(string? presentedKey)
    {
        if (!Enabled || (_metricsKeyHash.Length > 0 && presentedKey is { Length: > 0 } && Hash(presentedKey) == _metricsKeyHash))
        {
            return;
        }
        if (!Authenticate(presentedKey).IsAdmin)
        {
            throw new GatewayException(GatewayErrorKind.PermissionDenied, "/metrics needs an admin key or the metrics key (Auth:MetricsKey).") { Reason = "ADMIN_ONLY" };
        }
    }

    /// <summary>The tenants of the configured keys, sorted (what an admin can pick on the dashboard); empty in anonymous mode.</summary>
    public IReadOnlyList<string> Tenants { get; }

    /// <summary>True when API keys are configured (keyed mode).</summary>
    public bool Enabled => _byHash.Count > 0;

    /// <summary>The caller a presented key (bearer token or x-api-key) stands for.</summary>
    public Caller Authenticate(string? presentedKey)
    {
        if (!Enabled)
        {
            return Caller.Anonymous;
        }
        if (string.IsNullOrEmpty(presentedKey))
        {
            throw new GatewayException(GatewayErrorKind.Unauthenticated,
                "An API key is required: send 'Authorization: Bearer <key>' (or 'x-api-key: <key>'; gRPC metadata works the same).")
            { Reason = "API_KEY_MISSING" };
        }
        return _byHash.TryGetValue(Hash(presentedKey), out var caller)
            ? caller
            : throw new GatewayException(GatewayErrorKind.Unauthenticated, "The API key is not valid.") { Reason = "API_KEY_INVALID" };
    }

    /// <summary>Lower-case hex SHA-256 of a key's UTF-8 bytes (what <see cref="ApiKeyOptions.KeySha256"/> holds).</summary>
    public static string Hash(string key)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(key), hash);
        return Convert.ToHexStringLower(hash);
    }

    internal static string HashOf(ApiKeyOptions key) =>
        key.KeySha256.Length > 0 ? key.KeySha256.Trim().ToLowerInvariant() : Hash(key.Key);
}

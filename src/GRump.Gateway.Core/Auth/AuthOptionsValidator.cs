using Microsoft.Extensions.Options;

namespace GRump.Gateway.Auth;

/// <summary>Every key has exactly one of Key / KeySha256 (64 hex digits), a tenant, a known role; no key twice.</summary>
internal sealed class AuthOptionsValidator : IValidateOptions<AuthOptions>
{
    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        var failures = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.Keys.Count; i++)
        {
            var key = options.Keys[i];
            var where = $"Auth:Keys:{i}";
            if ((key.Key.Length > 0) == (key.KeySha256.Length > 0))
            {
                failures.Add($"{where}: set exactly one of Key and KeySha256.");
                continue;
            }
            if (key.KeySha256.Length > 0 && (key.KeySha256.Trim().Length != 64 || !key.KeySha256.Trim().All(Uri.IsHexDigit)))
            {
                failures.Add($"{where}:KeySha256 must be 64 hex digits (the SHA-256 of the key).");
            }
            if (key.Key.Length is > 0 and < 16)
            {
                failures.Add($"{where}:Key must be at least 16 characters.");
            }
            if (string.IsNullOrWhiteSpace(key.Tenant) || key.Tenant.Length > 128)
            {
                failures.Add($"{where}:Tenant is required (at most 128 characters).");
            }
            if (!string.Equals(key.Role, CallerRoles.User, StringComparison.OrdinalIgnoreCase) && !string.Equals(key.Role, CallerRoles.Admin, StringComparison.OrdinalIgnoreCase))
            {
                failures.Add($"{where}:Role must be 'user' or 'admin'.");
            }
            if (!seen.Add(ApiKeyAuthenticator.HashOf(key)))
            {
                failures.Add($"{where}: the same key is configured twice.");
            }
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

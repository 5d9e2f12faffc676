namespace GRump.Gateway.Auth;

/// <summary>The authenticated caller of a request (gRPC, REST or /v1), resolved once per request from its API key.</summary>
internal static class CallerHttpContextExtensions
{
    private static readonly object Key = new();

    /// <summary>The caller; throws UNAUTHENTICATED in keyed mode when the key is missing or unknown.</summary>
    public static Caller GetCaller(this HttpContext context)
    {
        if (context.Items.TryGetValue(Key, out var cached) && cached is Caller caller)
        {
            return caller;
        }
        var authenticator = context.RequestServices.GetRequiredService<ApiKeyAuthenticator>();
        caller = authenticator.Authenticate(PresentedKey(context.Request.Headers));
        context.Items[Key] = caller;
        return caller;
    }

    /// <summary><c>Authorization: Bearer &lt;key&gt;</c>, else <c>x-api-key</c> (gRPC metadata are these same headers).</summary>
    public static string? PresentedKey(IHeaderDictionary headers)
    {
        var authorization = headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return authorization["Bearer ".Length..].Trim();
        }
        var apiKey = headers["x-api-key"].ToString();
        return apiKey.Length > 0 ? apiKey.Trim() : null;
    }
}

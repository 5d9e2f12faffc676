namespace GRump.Gateway.Providers;

/// <summary>Base-URL rules, so <c>http://nim:8000</c>, <c>http://nim:8000/</c> and <c>http://nim:8000/v1</c> all reach <c>/v1/...</c>.</summary>
public static class ProviderUrls
{
    public const string NimCloud = "https://integrate.api.nvidia.com/v1";
    public const string AnthropicCloud = "https://api.anthropic.com";

    /// <summary>Trimmed, without a trailing slash, ending in <c>/v1</c>.</summary>
    public static string OpenAiBase(string url)
    {
        var trimmed = Trim(url);
        return trimmed.EndsWith("/v1", StringComparison.OrdinalIgnoreCase) ? trimmed : trimmed + "/v1";
    }

    /// <summary>Anthropic's URLs are <c>{base}/v1/messages</c>: the same normal form as OpenAI-compatible servers.</summary>
    public static string AnthropicBase(string url) => OpenAiBase(url);

    /// <summary>Throws a clear configuration error unless <paramref name="url"/> is an absolute http(s) URL.</summary>
    public static Uri Parse(string provider, string url) =>
        TryParse(url, out var uri) ? uri : throw new InvalidOperationException($"Provider '{provider}': '{url}' is not an absolute http(s) URL.");

    public static bool TryParse(string url, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Uri? uri) =>
        Uri.TryCreate(url, UriKind.Absolute, out uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);

    private static string Trim(string url)
    {
        var trimmed = url.Trim();
        while (trimmed.EndsWith('/'))
        {
            trimmed = trimmed[..^1];
        }
        return trimmed;
    }
}

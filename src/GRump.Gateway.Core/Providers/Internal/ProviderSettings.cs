using Microsoft.Extensions.Configuration;

namespace GRump.Gateway.Providers.Internal;

/// <summary>One configured upstream, resolved: name, kind, normalized destination base URLs (each ending in /v1), key.</summary>
internal sealed record ProviderSettings(string Name, string Kind, IReadOnlyList<Uri> Destinations, string ApiKey, ProviderOptions Options)
{
    /// <summary>
    /// Reads every configured upstream. NIM is configured by <c>NVIDIA_NIM_API_KEY</c> or <c>NVIDIA_NIM_URL</c> (a
    /// self-hosted NIM may need no key; an unset URL means NVIDIA's cloud); Anthropic by <c>ANTHROPIC_API_KEY</c>;
    /// any other <c>Providers:&lt;name&gt;</c> section by its BaseUrl. <c>local</c> is not listed: it is always there.
    /// </summary>
    public static IReadOnlyList<ProviderSettings> Read(IConfiguration configuration)
    {
        var result = new List<ProviderSettings>();
        var section = configuration.GetSection(ProviderOptions.SectionName);

        var nim = Bind(section.GetSection("Nim"));
        var nimKey = First(configuration["NVIDIA_NIM_API_KEY"], nim.ApiKey);
        var nimUrl = First(configuration["NVIDIA_NIM_URL"], nim.BaseUrl);
        if (nimKey.Length > 0 || nimUrl.Length > 0)
        {
            result.Add(Create(ProviderNames.Nim, ProviderKinds.OpenAi, First(nimUrl, ProviderUrls.NimCloud), nimKey, nim));
        }

        var anthropic = Bind(section.GetSection("Anthropic"));
        var anthropicKey = First(configuration["ANTHROPIC_API_KEY"], anthropic.ApiKey);
        if (anthropicKey.Length > 0)
        {
            result.Add(Create(ProviderNames.Anthropic, ProviderKinds.Anthropic, First(anthropic.BaseUrl, ProviderUrls.AnthropicCloud), anthropicKey, anthropic));
        }

        foreach (var child in section.GetChildren())
        {
            var name = child.Key.ToLowerInvariant();
            if (name is ProviderNames.Nim or ProviderNames.Anthropic or ProviderNames.Local)
            {
                continue;
            }
            var options = Bind(child);
            if (options.BaseUrl.Trim().Length == 0)
            {
                throw new InvalidOperationException($"Provider '{name}': Providers:{child.Key}:BaseUrl is required.");
            }
            var kind = options.Kind.Trim().ToLowerInvariant();
            if (kind is not (ProviderKinds.OpenAi or ProviderKinds.Anthropic))
            {
                throw new InvalidOperationException($"Provider '{name}': Kind '{options.Kind}' is unknown; use 'openai' or 'anthropic'.");
            }
            result.Add(Create(name, kind, options.BaseUrl, options.ApiKey, options));
        }
        return result;
    }

    private static ProviderSettings Create(string name, string kind, string baseUrl, string apiKey, ProviderOptions options)
    {
        if (options.MaxRetries is < 0 or > 10 || options.AttemptTimeout <= TimeSpan.Zero || options.MaxEmbeddingBatch < 1 || options.DefaultMaxTokens < 1)
        {
            throw new InvalidOperationException(
                $"Provider '{name}': MaxRetries must be 0–10, AttemptTimeout and MaxEmbeddingBatch and DefaultMaxTokens positive.");
        }
        var destinations = new[] { baseUrl }.Concat(options.Destinations)
            .Select(url => ProviderUrls.Parse(name, ProviderUrls.OpenAiBase(url) + "/"))
            .ToArray();
        return new ProviderSettings(name, kind, destinations, apiKey.Trim(), options);
    }

    private static ProviderOptions Bind(IConfigurationSection section)
    {
        var options = new ProviderOptions();
        section.Bind(options);
        return options;
    }

    private static string First(string? preferred, string fallback) =>
        string.IsNullOrWhiteSpace(preferred) ? fallback.Trim() : preferred.Trim();
}

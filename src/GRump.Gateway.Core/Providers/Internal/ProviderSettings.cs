using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;

namespace GRump.Gateway.Providers.Internal;

/// <summary>One configured upstream, resolved: name, kind, normalized destination base URLs (each ending in /v1), key.</summary>
internal sealed record ProviderSettings(string Name, string Kind, IReadOnlyList<Uri> Destinations, string ApiKey, ProviderOptions Options)
{
    /// <summary>
    /// The configured upstreams whose settings are valid. NIM is configured by <c>NVIDIA_NIM_API_KEY</c> or
    /// <c>NVIDIA_NIM_URL</c> (a self-hosted NIM may need no key; an unset URL means NVIDIA's cloud); Anthropic by
    /// <c>ANTHROPIC_API_KEY</c>; any other <c>Providers:&lt;name&gt;</c> section by its BaseUrl. <c>local</c> is not
    /// listed: it is always there. This runs while services are registered (YARP clusters and HttpClients need the
    /// list), where a throw would be an unhandled crash: a provider with a bad value is left out here and reported by
    /// <see cref="ProviderOptionsValidator"/> at start, which stops the gateway before it listens (exit code 2).
    /// </summary>
    public static IReadOnlyList<ProviderSettings> Read(IConfiguration configuration)
    {
        var result = new List<ProviderSettings>();
        foreach (var (name, key) in Sections(configuration))
        {
            var options = new ProviderOptions();
            try
            {
                configuration.GetSection(key).Bind(options);
            }
            catch (InvalidOperationException)
            {
                continue; // a value that does not convert: the options binding at start reports it with its key
            }
            ApplyEnvironment(name, options, configuration);
            if (IsSwitchedOn(name, options) && Problems(name, key, options).Count == 0)
            {
                result.Add(Create(name, options));
            }
        }
        return result;
    }

    /// <summary>
    /// Every provider configuration the operator wrote, as (provider name, configuration key): each <c>Providers:*</c>
    /// section, and NIM and Anthropic when their environment variables configure them without a section.
    /// </summary>
    public static IReadOnlyList<(string Name, string Key)> Sections(IConfiguration configuration)
    {
        var sections = new List<(string Name, string Key)>();
        foreach (var child in configuration.GetSection(ProviderOptions.SectionName).GetChildren())
        {
            var name = child.Key.ToLowerInvariant();
            if (name != ProviderNames.Local && !sections.Exists(s => s.Name == name))
            {
                sections.Add((name, child.Path));
            }
        }
        AddIfConfigured(ProviderNames.Nim, "Nim", configuration["NVIDIA_NIM_API_KEY"], configuration["NVIDIA_NIM_URL"]);
        AddIfConfigured(ProviderNames.Anthropic, "Anthropic", configuration["ANTHROPIC_API_KEY"], null);
        return sections;

        void AddIfConfigured(string name, string section, string? key, string? url)
        {
            if (!sections.Exists(s => s.Name == name) && (!string.IsNullOrWhiteSpace(key) || !string.IsNullOrWhiteSpace(url)))
            {
                sections.Add((name, $"{ProviderOptions.SectionName}:{section}"));
            }
        }
    }

    /// <summary>NIM's and Anthropic's well-known environment variables win over their sections; kinds and default URLs are filled in.</summary>
    public static void ApplyEnvironment(string name, ProviderOptions options, IConfiguration configuration)
    {
        switch (name)
        {
            case ProviderNames.Nim:
                options.ApiKey = First(configuration["NVIDIA_NIM_API_KEY"], options.ApiKey);
                options.BaseUrl = First(configuration["NVIDIA_NIM_URL"], options.BaseUrl);
                options.Kind = ProviderKinds.OpenAi;
                break;
            case ProviderNames.Anthropic:
                options.ApiKey = First(configuration["ANTHROPIC_API_KEY"], options.ApiKey);
                options.Kind = ProviderKinds.Anthropic;
                break;
            default:
                options.Kind = options.Kind.Trim().ToLowerInvariant();
                break;
        }
    }

    /// <summary>
    /// What is wrong with a provider's settings, each naming its configuration key. An empty list for NIM or Anthropic
    /// sections that are present but not switched on by a key or URL: those only need values that convert.
    /// </summary>
    public static List<string> Problems(string name, string key, ProviderOptions options)
    {
        var problems = new List<string>();
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true))
        {
            problems.AddRange(results.Select(r => $"{key}:{string.Join(",", r.MemberNames)}: {r.ErrorMessage}"));
        }
        if (!IsSwitchedOn(name, options))
        {
            return problems; // a NIM or Anthropic section without a key (or NIM URL): off, only its values must convert
        }
        switch (name)
        {
            case ProviderNames.Nim or ProviderNames.Anthropic:
                break;
            default:
                if (options.BaseUrl.Trim().Length == 0)
                {
                    problems.Add($"{key}:BaseUrl is required (the upstream's URL, e.g. http://vllm:8000).");
                }
                if (options.Kind is not (ProviderKinds.OpenAi or ProviderKinds.Anthropic))
                {
                    problems.Add($"{key}:Kind '{options.Kind}' is unknown; use 'openai' or 'anthropic'.");
                }
                break;
        }
        foreach (var url in Urls(name, options))
        {
            if (!ProviderUrls.TryParse(url, out _))
            {
                problems.Add($"{key}: '{url}' is not an absolute http(s) URL.");
            }
        }
        return problems;
    }

    /// <summary>NIM needs a key or a URL, Anthropic a key; any other section is on by being there.</summary>
    private static bool IsSwitchedOn(string name, ProviderOptions options) => name switch
    {
        ProviderNames.Nim => options.ApiKey.Length > 0 || options.BaseUrl.Trim().Length > 0,
        ProviderNames.Anthropic => options.ApiKey.Length > 0,
        _ => true,
    };

    private static ProviderSettings Create(string name, ProviderOptions options)
    {
        var destinations = Urls(name, options).Select(url => ProviderUrls.Parse(name, url)).ToArray();
        return new ProviderSettings(name, options.Kind, destinations, options.ApiKey.Trim(), options);
    }

    /// <summary>The destinations' base URLs in normal form (ending in /v1/), the base URL first; a provider's cloud URL when it has none.</summary>
    private static IEnumerable<string> Urls(string name, ProviderOptions options)
    {
        var baseUrl = options.BaseUrl.Trim().Length > 0 ? options.BaseUrl : name switch
        {
            ProviderNames.Nim => ProviderUrls.NimCloud,
            ProviderNames.Anthropic => ProviderUrls.AnthropicCloud,
            _ => string.Empty,
        };
        return new[] { baseUrl }.Concat(options.Destinations).Where(url => url.Trim().Length > 0).Select(url => ProviderUrls.OpenAiBase(url) + "/");
    }

    private static string First(string? preferred, string fallback) =>
        string.IsNullOrWhiteSpace(preferred) ? fallback.Trim() : preferred.Trim();
}

using GRump.Gateway.Providers;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace GRump.Gateway.Services;

/// <summary>
/// A stand-in <see cref="IProviderDirectory"/> until the provider layer lands (that layer registers the real one and
/// replaces this): it reports <c>local</c> plus the providers whose keys are configured (<c>NVIDIA_NIM_API_KEY</c> →
/// <c>nim</c>, <c>ANTHROPIC_API_KEY</c> → <c>anthropic</c>), so routing can decide, and serves no calls.
/// </summary>
internal sealed class ConfiguredProviderNames : IProviderDirectory
{
    private readonly HashSet<string> _available = new(StringComparer.Ordinal) { "local" };

    public ConfiguredProviderNames(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (!string.IsNullOrWhiteSpace(configuration["NVIDIA_NIM_API_KEY"]))
        {
            _available.Add("nim");
        }

        if (!string.IsNullOrWhiteSpace(configuration["ANTHROPIC_API_KEY"]))
        {
            _available.Add("anthropic");
        }
    }

    public IReadOnlyCollection<string> Available => _available;

    public bool IsAvailable(string provider) => _available.Contains(provider);

    public IChatProvider GetChat(string provider) =>
        throw new NotSupportedException("The provider layer is not part of this build; only routing decisions are available.");

    public IEmbeddingProvider GetEmbedding(string provider) =>
        throw new NotSupportedException("The provider layer is not part of this build; only routing decisions are available.");
}

internal static class ConfiguredProviderNamesExtensions
{
    /// <summary>Registers <see cref="ConfiguredProviderNames"/> only when no provider directory is registered.</summary>
    public static IServiceCollection TryAddConfiguredProviderNames(this IServiceCollection services)
    {
        services.TryAddSingleton<IProviderDirectory, ConfiguredProviderNames>();
        return services;
    }
}

using System.Collections.Frozen;
using GRump.Gateway.Errors;

namespace GRump.Gateway.Providers.Internal;

/// <summary>The configured adapters by name, plus <c>local</c>.</summary>
internal sealed class ProviderDirectory : IProviderDirectory
{
    private readonly FrozenDictionary<string, IChatProvider> _chat;
    private readonly FrozenDictionary<string, IEmbeddingProvider> _embedding;

    public ProviderDirectory(IEnumerable<IChatProvider> chat, IEnumerable<IEmbeddingProvider> embedding)
    {
        _chat = chat.ToFrozenDictionary(p => p.Name, StringComparer.Ordinal);
        _embedding = embedding.ToFrozenDictionary(p => p.Name, StringComparer.Ordinal);
        Available = [.. _chat.Keys.Union(_embedding.Keys).Order(StringComparer.Ordinal)];
    }

    public IReadOnlyCollection<string> Available { get; }

    public bool IsAvailable(string provider) => _chat.ContainsKey(provider) || _embedding.ContainsKey(provider);

    public IChatProvider GetChat(string provider) =>
        _chat.TryGetValue(provider, out var chat) ? chat : throw NotConfigured(provider, "chat");

    public IEmbeddingProvider GetEmbedding(string provider) =>
        _embedding.TryGetValue(provider, out var embedding) ? embedding : throw NotConfigured(provider, "embeddings");

    private GatewayException NotConfigured(string provider, string what) =>
        new(GatewayErrorKind.FailedPrecondition,
            $"Provider '{provider}' is not configured for {what} on this gateway (configured: {string.Join(", ", Available)}).")
        { Reason = "PROVIDER_NOT_CONFIGURED" };
}

namespace GRump.Gateway.Providers;

/// <summary>The providers this gateway can reach, by name (configured keys, or the always-present <c>local</c>).</summary>
public interface IProviderDirectory
{
    /// <summary>Names of the configured providers, <c>local</c> always among them.</summary>
    IReadOnlyCollection<string> Available { get; }

    bool IsAvailable(string provider);

    IChatProvider GetChat(string provider);

    IEmbeddingProvider GetEmbedding(string provider);
}

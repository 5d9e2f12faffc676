namespace GRump.Gateway.Caching;

/// <summary>
/// The cache's partitions. Each has its own folder on disk, its own Redis key space and its own hit rate; Clear can
/// target one of them.
/// </summary>
public enum CacheNamespace
{
    Intents = 0,
    Chat = 1,
    Embeddings = 2,
    Plans = 3,
}

/// <summary>Names of <see cref="CacheNamespace"/> as they appear in metrics, Redis keys, folders and the API.</summary>
public static class CacheNamespaces
{
    /// <summary>Every namespace, in enum order.</summary>
    public static readonly IReadOnlyList<CacheNamespace> All = [CacheNamespace.Intents, CacheNamespace.Chat, CacheNamespace.Embeddings, CacheNamespace.Plans];

    internal const int Count = 4;

    private static readonly string[] Names = ["intents", "chat", "embeddings", "plans"];

    /// <summary>The lower-case name: intents, chat, embeddings, plans.</summary>
    public static string Name(this CacheNamespace ns) => Names[(int)ns];

    /// <summary>Parses a lower-case name (case-insensitive); false for anything else.</summary>
    public static bool TryParse(string? name, out CacheNamespace ns)
    {
        for (var i = 0; i < Names.Length; i++)
        {
            if (string.Equals(Names[i], name, StringComparison.OrdinalIgnoreCase))
            {
                ns = (CacheNamespace)i;
                return true;
            }
        }

        ns = default;
        return false;
    }
}

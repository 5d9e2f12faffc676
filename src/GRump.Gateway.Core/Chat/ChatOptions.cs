using System.ComponentModel.DataAnnotations;

namespace GRump.Gateway.Chat;

/// <summary><c>Chat</c> configuration.</summary>
public sealed class ChatOptions
{
    public const string SectionName = "Chat";

    /// <summary>
    /// Models to try, in order, when a model's upstream fails before the first byte reached the client
    /// (e.g. <c>"moonshotai/kimi-k2.5": ["claude-sonnet-4-5"]</c>). Destinations of one provider are tried first anyway.
    /// </summary>
    public Dictionary<string, List<string>> FallbackModels { get; set; } = [];

    /// <summary>Upstream calls one ParallelComplete keeps in flight (never more than 32).</summary>
    [Range(1, 32)]
    public int MaxParallel { get; set; } = 32;
}

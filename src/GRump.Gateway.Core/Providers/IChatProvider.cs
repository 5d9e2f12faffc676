using GRump.Gateway.Chat;

namespace GRump.Gateway.Providers;

/// <summary>
/// One upstream chat API (OpenAI-compatible, Anthropic Messages, local): translates the gateway's
/// <see cref="ChatRequest"/> into the upstream's wire format and its answer back into <see cref="ChatEvent"/>s.
/// Adapters report usage with every answer, estimating it with the tokenizer when the upstream sends none. Failures are
/// <see cref="Errors.GatewayException"/>s: <c>Unavailable</c> for an upstream that is down, failing or cut off,
/// <c>DeadlineExceeded</c> for timeouts, <c>InvalidArgument</c> for a request the upstream (or the adapter) rejects.
/// </summary>
public interface IChatProvider
{
    /// <summary>The provider's name in configuration and in responses (e.g. <c>nim</c>, <c>anthropic</c>, <c>local</c>).</summary>
    string Name { get; }

    /// <summary>
    /// Text, reasoning and tool-call deltas, then exactly one <see cref="ChatEnded"/> with the finish reason and usage.
    /// <see cref="ProviderChatRequest.Stream"/> chooses a streamed upstream call or one whole answer (then yielded as
    /// events). Throws if the upstream fails or a stream is cut.
    /// </summary>
    IAsyncEnumerable<ChatEvent> ChatAsync(ProviderChatRequest request, CancellationToken cancellationToken);
}

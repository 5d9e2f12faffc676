namespace GRump.Gateway.Providers;

/// <summary>
/// One upstream chat API (OpenAI-compatible, Anthropic Messages, local). Adapters report usage with every answer,
/// estimating it with the tokenizer when the upstream sends none. Failures are <see cref="Errors.GatewayException"/>s:
/// <c>Unavailable</c> for an upstream that is down or failing, <c>DeadlineExceeded</c> for timeouts,
/// <c>InvalidArgument</c> for a request the upstream rejected as malformed.
/// </summary>
public interface IChatProvider
{
    /// <summary>The provider's name in configuration and in responses (e.g. <c>nim</c>, <c>anthropic</c>, <c>local</c>).</summary>
    string Name { get; }

    Task<ChatCompletion> CompleteAsync(ProviderChatRequest request, CancellationToken cancellationToken);

    /// <summary>Deltas, then exactly one End event. Throws if the upstream fails or the stream is cut.</summary>
    IAsyncEnumerable<ChatStreamEvent> StreamAsync(ProviderChatRequest request, CancellationToken cancellationToken);
}

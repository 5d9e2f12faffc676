using GRump.Gateway.Chat;

namespace GRump.Gateway.Providers;

/// <summary>
/// A chat call as an adapter sends it upstream: the resolved model, the request, and the output cap the budget was
/// reserved for (sent as the upstream's max_tokens, so no answer can cost more than was reserved).
/// </summary>
public sealed record ProviderChatRequest(string Model, ChatRequest Chat, int MaxOutputTokens, bool Stream)
{
    public IReadOnlyList<ChatMessage> Messages => Chat.Messages;
}

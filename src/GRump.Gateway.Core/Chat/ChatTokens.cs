using GRump.Gateway.Tokens;

namespace GRump.Gateway.Chat;

/// <summary>Token counts of a chat prompt with the gateway's tokenizer: routing, budgets and usage when an upstream sends none.</summary>
public static class ChatTokens
{
    /// <summary>
    /// What one image is assumed to cost: a bound, not a measurement (the gateway does not decode images). OpenAI bills a
    /// high-detail 1024×1024 image 765 tokens, Anthropic about (width × height) / 750, at most ~1,600.
    /// </summary>
    public const int ImageTokens = 1_600;

    /// <summary>Input tokens of a request: every message (role, text, reasoning, tool calls, images) and the tool definitions.</summary>
    public static int CountPrompt(ChatRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return CountPrompt(request.Messages, request.Tools);
    }

    public static int CountPrompt(IReadOnlyList<ChatMessage> messages, IReadOnlyList<ToolDefinition> tools)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(tools);
        var counter = TokenCounter.Shared;
        var total = TokenCounter.ReplyPriming;
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            total += TokenCounter.TokensPerMessage + counter.Count(ChatMessage.RoleName(message.Role));
            for (var partIndex = 0; partIndex < message.Content.Count; partIndex++)
            {
                var part = message.Content[partIndex];
                total += part switch
                {
                    TextPart text => counter.Count(text.Text),
                    ReasoningPart reasoning => counter.Count(reasoning.Text),
                    ImagePart => ImageTokens,
                    _ => 0,
                };
            }

            for (var callIndex = 0; callIndex < message.ToolCalls.Count; callIndex++)
            {
                var call = message.ToolCalls[callIndex];
                total += counter.Count(call.Name) + counter.Count(call.ArgumentsJson);
            }
        }

        foreach (var tool in tools)
        {
            total += TokenCounter.TokensPerMessage + counter.Count(tool.Name) + counter.Count(tool.Description) + counter.Count(tool.ParametersJson);
        }

        return total;
    }

    /// <summary>Output tokens of an answer's deltas: its text, reasoning and tool calls, each counted whole (as one string).</summary>
    public static int CountAnswer(IEnumerable<ChatEvent> deltas)
    {
        ArgumentNullException.ThrowIfNull(deltas);
        var answer = new ChatAnswerBuilder();
        foreach (var delta in deltas)
        {
            answer.Add(delta);
        }

        var counter = TokenCounter.Shared;
        var total = counter.Count(answer.Text) + counter.Count(answer.Reasoning);
        foreach (var call in answer.ToolCalls)
        {
            total += counter.Count(call.Name) + counter.Count(call.ArgumentsJson);
        }

        return total;
    }
}

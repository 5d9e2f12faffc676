using System.Runtime.CompilerServices;
using GRump.Gateway.Chat;
using GRump.Gateway.Tokens;

namespace GRump.Gateway.Providers.Internal;

/// <summary>
/// The embedded default when no upstream is configured: a deterministic development model, not an LLM. It answers
/// every prompt with the same labelled text built from the last user message, streamed word by word, priced $0, with
/// usage counted by the real tokenizer. Good for trying the gateway, tests and load tests; never mistaken for a model.
/// </summary>
internal sealed class LocalChatProvider : IChatProvider
{
    public const string Label = "[GRump local development model: not an LLM]";
    private const int EchoChars = 200;

    public string Name => ProviderNames.Local;

    public async IAsyncEnumerable<ChatEvent> ChatAsync(ProviderChatRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var (content, finish) = Answer(request);
        if (!request.Stream)
        {
            yield return new TextDelta(content);
        }
        else
        {
            var start = 0;
            while (start < content.Length)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var space = content.IndexOf(' ', start);
                var end = space < 0 ? content.Length : space + 1;
                yield return new TextDelta(content[start..end]);
                start = end;
            }
        }

        await Task.CompletedTask.ConfigureAwait(false);
        yield return new ChatEnded(finish, new TokenUsage(ChatTokens.CountPrompt(request.Chat), TokenCounter.Shared.Count(content)));
    }

    private static (string Content, string Finish) Answer(ProviderChatRequest request)
    {
        var last = request.Messages.LastOrDefault(m => m.Role == ChatRole.User)?.Text ?? string.Empty;
        var echo = last.Length <= EchoChars ? last : string.Concat(last.AsSpan(0, EchoChars), "…");
        var content = $"{Label} You said: \"{echo.ReplaceLineEndings(" ")}\" ({request.Messages.Count} message(s), " +
            $"{ChatTokens.CountPrompt(request.Chat)} prompt tokens). Configure NVIDIA_NIM_API_KEY, ANTHROPIC_API_KEY " +
            "or Providers:<name>:BaseUrl for real answers.";
        if (request.MaxOutputTokens > 0 && TokenCounter.Shared.Count(content) > request.MaxOutputTokens)
        {
            return (Truncate(content, request.MaxOutputTokens), FinishReasons.Length);
        }
        return (content, FinishReasons.Stop);
    }

    /// <summary>The longest word-aligned prefix within <paramref name="maxTokens"/>.</summary>
    private static string Truncate(string content, int maxTokens)
    {
        var cut = 0;
        var next = content.IndexOf(' ');
        while (next >= 0 && TokenCounter.Shared.Count(content.AsSpan(0, next + 1)) <= maxTokens)
        {
            cut = next + 1;
            next = content.IndexOf(' ', next + 1);
        }
        return content[..cut];
    }
}

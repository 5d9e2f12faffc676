using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using GRump.Gateway.Chat;
using GRump.Gateway.Errors;

namespace GRump.Gateway.Providers.Internal;

/// <summary>
/// Anthropic Messages: <c>POST {base}/v1/messages</c>, translated by <see cref="AnthropicWire"/>. Anthropic has no seed
/// parameter: a seed still makes the request cacheable in the gateway but is not sent.
/// </summary>
internal sealed class AnthropicProvider(UpstreamSender sender, ProviderMetrics metrics) : IChatProvider
{
    private const string ApiVersion = "2023-06-01";
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    public string Name => sender.Provider.Name;

    public async IAsyncEnumerable<ChatEvent> ChatAsync(ProviderChatRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var body = AnthropicWire.WriteRequest(request, sender.Provider.Options.DefaultMaxTokens);
        var jsonFormat = request.Chat.ResponseFormat is { Kind: not ResponseFormatKind.Text };
        using var response = await sender.SendAsync("messages", endpoint => Post(endpoint, body), cancellationToken).ConfigureAwait(false);
        if (!request.Stream)
        {
            List<ChatEvent> answer;
            string finish;
            TokenUsage? usage;
            using (var document = await ReadJsonAsync(response, cancellationToken).ConfigureAwait(false))
            {
                (answer, finish, usage) = AnthropicWire.ReadMessage(document.RootElement, jsonFormat);
            }

            foreach (var delta in answer)
            {
                yield return delta;
            }

            yield return new ChatEnded(finish, usage ?? Estimate(request, answer));
            yield break;
        }

        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var reader = new SseReader(stream);
        await using (reader.ConfigureAwait(false))
        {
            var state = new AnthropicWire.StreamState(jsonFormat, sender.Provider);
            var produced = new List<ChatEvent>();
            var deltas = new List<ChatEvent>(2);
            while (!state.Stopped)
            {
                bool more;
                try
                {
                    more = await reader.MoveNextAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is IOException or HttpRequestException)
                {
                    throw Cut(produced.Count, ex);
                }

                if (!more)
                {
                    throw Cut(produced.Count, null);
                }

                deltas.Clear();
                state.Read(reader.Data, deltas);
                foreach (var delta in deltas)
                {
                    produced.Add(delta);
                    yield return delta;
                }
            }

            yield return new ChatEnded(state.Finish, state.Usage.ToUsage() ?? Estimate(request, produced));
        }
    }

    private TokenUsage Estimate(ProviderChatRequest request, List<ChatEvent> answer)
    {
        metrics.UsageEstimated(Name);
        return new TokenUsage(ChatTokens.CountPrompt(request.Chat), ChatTokens.CountAnswer(answer), Estimated: true);
    }

    private static async Task<JsonDocument> ReadJsonAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                return await JsonDocument.ParseAsync(stream, default, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (JsonException ex)
        {
            throw new GatewayException(GatewayErrorKind.Unavailable, "Anthropic sent a malformed JSON response.", null, ex) { Reason = "UPSTREAM_PROTOCOL" };
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException)
        {
            throw new GatewayException(GatewayErrorKind.Unavailable, "The Anthropic connection failed while reading the response.", null, ex) { Reason = "UPSTREAM_STREAM_CUT" };
        }
    }

    private HttpRequestMessage Post(Uri endpoint, byte[] body)
    {
        var message = new HttpRequestMessage(HttpMethod.Post, endpoint)
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = Json } },
        };
        message.Headers.Add("x-api-key", sender.Provider.ApiKey);
        message.Headers.Add("anthropic-version", ApiVersion);
        return message;
    }

    private GatewayException Cut(int receivedDeltas, Exception? inner) =>
        new(GatewayErrorKind.Unavailable,
            $"The upstream '{Name}' stream ended before message_stop ({receivedDeltas} deltas received); the partial answer is not a result.",
            null, inner)
        { Reason = "UPSTREAM_STREAM_CUT" };
}

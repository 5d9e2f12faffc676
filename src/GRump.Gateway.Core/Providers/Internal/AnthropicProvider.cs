using System.Buffers;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using GRump.Gateway.Errors;
using GRump.Gateway.Tokens;

namespace GRump.Gateway.Providers.Internal;

/// <summary>
/// Anthropic Messages: <c>POST {base}/v1/messages</c>. System messages become the <c>system</c> field; usage comes from
/// <c>message_start</c> (input) and <c>message_delta</c> (output). Anthropic has no seed parameter: a seed still makes
/// the request cacheable in the gateway but is not sent.
/// </summary>
internal sealed class AnthropicProvider(UpstreamSender sender, ProviderMetrics metrics) : IChatProvider
{
    private const string ApiVersion = "2023-06-01";
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    public string Name => sender.Provider.Name;

    public async Task<ChatCompletion> CompleteAsync(ProviderChatRequest request, CancellationToken cancellationToken)
    {
        var body = WriteBody(request, stream: false);
        using var response = await sender.SendAsync(baseUri => Post(baseUri, body), cancellationToken).ConfigureAwait(false);
        JsonDocument document;
        try
        {
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                document = await JsonDocument.ParseAsync(stream, default, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (JsonException ex)
        {
            throw new GatewayException(GatewayErrorKind.Unavailable, "Anthropic sent a malformed JSON response.", null, ex) { Reason = "UPSTREAM_PROTOCOL" };
        }
        using (document)
        {
            var root = document.RootElement;
            var text = new StringBuilder();
            if (root.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.Array)
            {
                foreach (var block in content.EnumerateArray())
                {
                    if (block.TryGetProperty("type", out var type) && type.ValueEquals("text"u8) && block.TryGetProperty("text", out var t))
                    {
                        text.Append(t.GetString());
                    }
                }
            }
            var finish = root.TryGetProperty("stop_reason", out var stop) && stop.ValueKind == JsonValueKind.String ? Finish(stop.GetString()) : "stop";
            ProviderUsage usage;
            if (root.TryGetProperty("usage", out var u) && u.TryGetProperty("input_tokens", out var input) && u.TryGetProperty("output_tokens", out var output))
            {
                usage = new ProviderUsage(input.GetInt64(), output.GetInt64());
            }
            else
            {
                metrics.UsageEstimated(Name);
                usage = new ProviderUsage(TokenCounter.Shared.CountPrompt(request.Messages), TokenCounter.Shared.Count(text.ToString()), Estimated: true);
            }
            return new ChatCompletion(text.ToString(), finish, usage);
        }
    }

    public async IAsyncEnumerable<ChatStreamEvent> StreamAsync(ProviderChatRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var body = WriteBody(request, stream: true);
        using var response = await sender.SendAsync(baseUri => Post(baseUri, body), cancellationToken).ConfigureAwait(false);
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var reader = new SseReader(stream);
        await using (reader.ConfigureAwait(false))
        {
            var state = new StreamState();
            var text = new StringBuilder();
            while (!state.Stopped)
            {
                bool more;
                try
                {
                    more = await reader.MoveNextAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is IOException or HttpRequestException)
                {
                    throw Cut(text.Length, ex);
                }
                if (!more)
                {
                    throw Cut(text.Length, null);
                }
                var delta = Parse(reader.Data, ref state);
                if (delta.Length > 0)
                {
                    text.Append(delta);
                    yield return ChatStreamEvent.Delta(delta);
                }
            }
            ProviderUsage usage;
            if (state.InputTokens >= 0 && state.OutputTokens >= 0)
            {
                usage = new ProviderUsage(state.InputTokens, state.OutputTokens);
            }
            else
            {
                metrics.UsageEstimated(Name);
                usage = new ProviderUsage(TokenCounter.Shared.CountPrompt(request.Messages), TokenCounter.Shared.Count(text.ToString()), Estimated: true);
            }
            yield return ChatStreamEvent.End(state.Finish, usage);
        }
    }

    private struct StreamState
    {
        public StreamState()
        {
        }

        public long InputTokens = -1;
        public long OutputTokens = -1;
        public string Finish = "stop";
        public bool Stopped;
    }

    /// <summary>One event (its <c>type</c> field says which; the <c>event:</c> line repeats it).</summary>
    private string Parse(ReadOnlySpan<byte> json, ref StreamState state)
    {
        try
        {
            using var document = JsonDocument.Parse(json.ToArray());
            var root = document.RootElement;
            var type = root.TryGetProperty("type", out var t) ? t.GetString() : null;
            switch (type)
            {
                case "message_start":
                    if (root.TryGetProperty("message", out var message) && message.TryGetProperty("usage", out var startUsage))
                    {
                        if (startUsage.TryGetProperty("input_tokens", out var input))
                        {
                            state.InputTokens = input.GetInt64();
                        }
                        if (startUsage.TryGetProperty("output_tokens", out var output))
                        {
                            state.OutputTokens = output.GetInt64();
                        }
                    }
                    return string.Empty;
                case "content_block_delta":
                    return root.TryGetProperty("delta", out var delta) && delta.TryGetProperty("text", out var text) ? text.GetString() ?? string.Empty : string.Empty;
                case "message_delta":
                    if (root.TryGetProperty("delta", out var d) && d.TryGetProperty("stop_reason", out var stop) && stop.ValueKind == JsonValueKind.String)
                    {
                        state.Finish = Finish(stop.GetString());
                    }
                    if (root.TryGetProperty("usage", out var usage) && usage.TryGetProperty("output_tokens", out var outputTokens))
                    {
                        state.OutputTokens = outputTokens.GetInt64();
                    }
                    return string.Empty;
                case "message_stop":
                    state.Stopped = true;
                    return string.Empty;
                case "error":
                    var error = root.TryGetProperty("error", out var e) && e.TryGetProperty("message", out var m) ? m.GetString() : "unknown error";
                    throw new GatewayException(GatewayErrorKind.Unavailable,
                        $"Upstream '{Name}' (Anthropic) sent an error in the stream: {SecretRedactor.Redact(error, [sender.Provider.ApiKey])}") { Reason = "UPSTREAM_STREAM_ERROR" };
                default:
                    return string.Empty;
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            throw new GatewayException(GatewayErrorKind.Unavailable, "Anthropic sent a malformed stream event.", null, ex) { Reason = "UPSTREAM_PROTOCOL" };
        }
    }

    private static string Finish(string? stopReason) => stopReason switch
    {
        "max_tokens" => "length",
        "tool_use" => "tool_calls",
        _ => "stop",
    };

    private HttpRequestMessage Post(Uri baseUri, byte[] body)
    {
        var message = new HttpRequestMessage(HttpMethod.Post, new Uri(baseUri, "messages"))
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = Json } },
        };
        message.Headers.Add("x-api-key", sender.Provider.ApiKey);
        message.Headers.Add("anthropic-version", ApiVersion);
        return message;
    }

    private byte[] WriteBody(ProviderChatRequest request, bool stream)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("model", request.Model);
            writer.WriteNumber("max_tokens", request.MaxTokens > 0 ? request.MaxTokens : sender.Provider.Options.DefaultMaxTokens);
            var system = string.Join("\n\n", request.Messages.Where(m => m.Role == "system").Select(m => m.Content));
            if (system.Length > 0)
            {
                writer.WriteString("system", system);
            }
            writer.WriteStartArray("messages");
            foreach (var message in request.Messages)
            {
                if (message.Role == "system")
                {
                    continue;
                }
                writer.WriteStartObject();
                writer.WriteString("role", message.Role == "assistant" ? "assistant" : "user");
                writer.WriteString("content", message.Content);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            RequestJson.WriteSampling(writer, request);
            RequestJson.WriteStop(writer, "stop_sequences", request.Stop);
            writer.WriteBoolean("stream", stream);
            writer.WriteEndObject();
        }
        return buffer.WrittenMemory.ToArray();
    }

    private GatewayException Cut(int receivedChars, Exception? inner) =>
        new(GatewayErrorKind.Unavailable,
            $"The upstream '{Name}' stream ended before message_stop ({receivedChars} characters received); the partial answer is not a result.",
            null, inner)
        { Reason = "UPSTREAM_STREAM_CUT" };
}

using System.Buffers;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using GRump.Gateway.Errors;
using GRump.Gateway.Tokens;

namespace GRump.Gateway.Providers.Internal;

/// <summary>
/// OpenAI-compatible chat completions and embeddings (NVIDIA NIM, OpenAI, vLLM, Ollama, llama.cpp):
/// <c>POST {base}/chat/completions</c> (streamed with <c>stream_options.include_usage</c>) and <c>POST {base}/embeddings</c>.
/// </summary>
internal sealed class OpenAiCompatibleProvider(UpstreamSender sender, ProviderMetrics metrics) : IChatProvider, IEmbeddingProvider
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");
    private static readonly MediaTypeWithQualityHeaderValue EventStream = new("text/event-stream");

    public string Name => sender.Provider.Name;

    public int MaxBatchSize => sender.Provider.Options.MaxEmbeddingBatch;

    public async Task<ChatCompletion> CompleteAsync(ProviderChatRequest request, CancellationToken cancellationToken)
    {
        var body = WriteChatBody(request, stream: false);
        using var response = await sender.SendAsync(baseUri => Post(baseUri, "chat/completions", body, stream: false), cancellationToken).ConfigureAwait(false);
        using var document = await ReadJsonAsync(response, cancellationToken).ConfigureAwait(false);
        var root = document.RootElement;
        var content = string.Empty;
        var finish = "stop";
        if (root.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array && choices.GetArrayLength() > 0)
        {
            var choice = choices[0];
            if (choice.TryGetProperty("message", out var message) && message.TryGetProperty("content", out var text) && text.ValueKind == JsonValueKind.String)
            {
                content = text.GetString() ?? string.Empty;
            }
            if (choice.TryGetProperty("finish_reason", out var reason) && reason.ValueKind == JsonValueKind.String)
            {
                finish = reason.GetString() ?? finish;
            }
        }
        else
        {
            throw Protocol("a completion without choices");
        }
        var usage = ReadUsage(root) ?? Estimate(request, content);
        return new ChatCompletion(content, finish, usage);
    }

    public async IAsyncEnumerable<ChatStreamEvent> StreamAsync(ProviderChatRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var body = WriteChatBody(request, stream: true);
        using var response = await sender.SendAsync(baseUri => Post(baseUri, "chat/completions", body, stream: true), cancellationToken).ConfigureAwait(false);
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var reader = new SseReader(stream);
        await using (reader.ConfigureAwait(false))
        {
            var text = new StringBuilder();
            var finish = string.Empty;
            ProviderUsage? usage = null;
            var done = false;
            while (!done)
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
                    // Some servers end without [DONE]: a finish reason means the answer is whole; nothing means a cut.
                    if (finish.Length == 0)
                    {
                        throw Cut(text.Length, null);
                    }
                    break;
                }
                if (reader.Data.SequenceEqual("[DONE]"u8))
                {
                    done = true;
                    continue;
                }
                var delta = ParseChunk(reader.Data, ref finish, ref usage);
                if (delta.Length > 0)
                {
                    text.Append(delta);
                    yield return ChatStreamEvent.Delta(delta);
                }
            }
            if (finish.Length == 0)
            {
                throw Cut(text.Length, null);
            }
            yield return ChatStreamEvent.End(finish, usage ?? Estimate(request, text.ToString()));
        }
    }

    public async Task<EmbeddingBatchResult> EmbedAsync(string model, IReadOnlyList<string> inputs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var buffer = new ArrayBufferWriter<byte>(256 + inputs.Sum(i => i.Length));
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("model", model);
            writer.WriteStartArray("input");
            foreach (var input in inputs)
            {
                writer.WriteStringValue(input);
            }
            writer.WriteEndArray();
            writer.WriteString("encoding_format", "float");
            // NVIDIA's retrieval embedding models require it; other servers ignore it.
            if (Name == ProviderNames.Nim)
            {
                writer.WriteString("input_type", "query");
            }
            writer.WriteEndObject();
        }
        var body = buffer.WrittenMemory.ToArray();
        using var response = await sender.SendAsync(baseUri => Post(baseUri, "embeddings", body, stream: false), cancellationToken).ConfigureAwait(false);
        using var document = await ReadJsonAsync(response, cancellationToken).ConfigureAwait(false);
        var root = document.RootElement;
        if (!root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
        {
            throw Protocol("an embeddings response without data");
        }
        var vectors = new float[inputs.Count][];
        foreach (var item in data.EnumerateArray())
        {
            var index = item.TryGetProperty("index", out var i) && i.TryGetInt32(out var n) ? n : -1;
            if ((uint)index >= (uint)vectors.Length || !item.TryGetProperty("embedding", out var embedding) || embedding.ValueKind != JsonValueKind.Array)
            {
                throw Protocol("an embedding with a missing or out-of-range index");
            }
            var vector = new float[embedding.GetArrayLength()];
            var k = 0;
            foreach (var value in embedding.EnumerateArray())
            {
                vector[k++] = value.GetSingle();
            }
            vectors[index] = vector;
        }
        if (Array.IndexOf(vectors, null) >= 0)
        {
            throw Protocol($"{inputs.Count} inputs but fewer embeddings");
        }
        long tokens;
        if (root.TryGetProperty("usage", out var usage) && usage.TryGetProperty("prompt_tokens", out var prompt) && prompt.TryGetInt64(out var count))
        {
            tokens = count;
        }
        else
        {
            tokens = inputs.Sum(input => (long)TokenCounter.Shared.Count(input));
            metrics.UsageEstimated(Name);
        }
        return new EmbeddingBatchResult(vectors, tokens);
    }

    private HttpRequestMessage Post(Uri baseUri, string path, byte[] body, bool stream)
    {
        var message = new HttpRequestMessage(HttpMethod.Post, new Uri(baseUri, path))
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = Json } },
        };
        if (sender.Provider.ApiKey.Length > 0)
        {
            message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", sender.Provider.ApiKey);
        }
        if (stream)
        {
            message.Headers.Accept.Add(EventStream);
        }
        return message;
    }

    private static byte[] WriteChatBody(ProviderChatRequest request, bool stream)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("model", request.Model);
            writer.WriteStartArray("messages");
            foreach (var message in request.Messages)
            {
                writer.WriteStartObject();
                writer.WriteString("role", message.Role);
                writer.WriteString("content", message.Content);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            RequestJson.WriteSampling(writer, request);
            if (request.MaxTokens > 0)
            {
                writer.WriteNumber("max_tokens", request.MaxTokens);
            }
            if (request.Seed is { } seed)
            {
                writer.WriteNumber("seed", seed);
            }
            RequestJson.WriteStop(writer, "stop", request.Stop);
            writer.WriteBoolean("stream", stream);
            if (stream)
            {
                writer.WriteStartObject("stream_options");
                writer.WriteBoolean("include_usage", true);
                writer.WriteEndObject();
            }
            writer.WriteEndObject();
        }
        return buffer.WrittenMemory.ToArray();
    }

    /// <summary>One <c>chat.completion.chunk</c>: returns its text; keeps the finish reason and usage when present (both may share a chunk).</summary>
    private string ParseChunk(ReadOnlySpan<byte> json, ref string finish, ref ProviderUsage? usage)
    {
        var reader = new Utf8JsonReader(json);
        var delta = string.Empty;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw Protocol("a stream chunk that is not a JSON object");
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("choices"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartArray)
                    {
                        ReadFirstChoice(ref reader, ref delta, ref finish);
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                else if (reader.ValueTextEquals("usage"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        usage = ReadUsage(ref reader);
                    }
                }
                else if (reader.ValueTextEquals("error"u8))
                {
                    using var document = JsonDocument.ParseValue(ref reader);
                    var message = document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("message", out var m)
                        ? m.GetString() : document.RootElement.ToString();
                    throw new GatewayException(GatewayErrorKind.Unavailable,
                        $"Upstream '{Name}' sent an error in the stream: {SecretRedactor.Redact(message, [sender.Provider.ApiKey])}") { Reason = "UPSTREAM_STREAM_ERROR" };
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }
        catch (JsonException ex)
        {
            throw new GatewayException(GatewayErrorKind.Unavailable, "The upstream sent a malformed stream chunk.", null, ex) { Reason = "UPSTREAM_PROTOCOL" };
        }
        return delta;
    }

    private static void ReadFirstChoice(ref Utf8JsonReader reader, ref string delta, ref string finish)
    {
        var first = true;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (!first || reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }
            first = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("delta"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.StartObject)
                    {
                        reader.Skip();
                        continue;
                    }
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        var isContent = reader.ValueTextEquals("content"u8);
                        reader.Read();
                        if (isContent && reader.TokenType == JsonTokenType.String)
                        {
                            delta = reader.GetString() ?? string.Empty;
                        }
                        else
                        {
                            reader.Skip();
                        }
                    }
                }
                else if (reader.ValueTextEquals("finish_reason"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        finish = reader.GetString() ?? finish;
                    }
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }
    }

    private static ProviderUsage? ReadUsage(ref Utf8JsonReader reader)
    {
        long prompt = -1, completion = -1;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isPrompt = reader.ValueTextEquals("prompt_tokens"u8);
            var isCompletion = reader.ValueTextEquals("completion_tokens"u8);
            reader.Read();
            if (isPrompt && reader.TokenType == JsonTokenType.Number)
            {
                prompt = reader.GetInt64();
            }
            else if (isCompletion && reader.TokenType == JsonTokenType.Number)
            {
                completion = reader.GetInt64();
            }
            else
            {
                reader.Skip();
            }
        }
        return prompt >= 0 && completion >= 0 ? new ProviderUsage(prompt, completion) : null;
    }

    private static ProviderUsage? ReadUsage(JsonElement root) =>
        root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object
        && usage.TryGetProperty("prompt_tokens", out var prompt) && prompt.TryGetInt64(out var input)
        && usage.TryGetProperty("completion_tokens", out var completion) && completion.TryGetInt64(out var output)
            ? new ProviderUsage(input, output)
            : null;

    private ProviderUsage Estimate(ProviderChatRequest request, string content)
    {
        metrics.UsageEstimated(Name);
        return new ProviderUsage(TokenCounter.Shared.CountPrompt(request.Messages), TokenCounter.Shared.Count(content), Estimated: true);
    }

    private GatewayException Cut(int receivedChars, Exception? inner) =>
        new(GatewayErrorKind.Unavailable,
            $"The upstream '{Name}' stream ended before the answer was complete ({receivedChars} characters received); the partial answer is not a result.",
            null, inner)
        { Reason = "UPSTREAM_STREAM_CUT" };

    private static GatewayException Protocol(string what) =>
        new(GatewayErrorKind.Unavailable, $"The upstream sent {what}.") { Reason = "UPSTREAM_PROTOCOL" };

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
            throw new GatewayException(GatewayErrorKind.Unavailable, "The upstream sent a malformed JSON response.", null, ex) { Reason = "UPSTREAM_PROTOCOL" };
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException)
        {
            throw new GatewayException(GatewayErrorKind.Unavailable, "The upstream connection failed while reading the response.", null, ex) { Reason = "UPSTREAM_STREAM_CUT" };
        }
    }
}

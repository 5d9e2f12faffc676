using System.Buffers;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using GRump.Gateway.Chat;
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

    public async IAsyncEnumerable<ChatEvent> ChatAsync(ProviderChatRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var body = OpenAiChatWire.WriteRequest(request);
        using var response = await sender.SendAsync("chat/completions", endpoint => Post(endpoint, body, request.Stream), cancellationToken).ConfigureAwait(false);
        if (!request.Stream)
        {
            List<ChatEvent> answer;
            string finish;
            TokenUsage? usage;
            using (var document = await ReadJsonAsync(response, cancellationToken).ConfigureAwait(false))
            {
                (answer, finish, usage) = OpenAiChatWire.ReadCompletion(document.RootElement);
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
            var produced = new List<ChatEvent>();
            var deltas = new List<ChatEvent>(2);
            var received = 0;
            var end = string.Empty;
            TokenUsage? reported = null;
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
                    throw Cut(received, ex);
                }

                if (!more)
                {
                    // Some servers end without [DONE]: a finish reason means the answer is whole; nothing means a cut.
                    if (end.Length == 0)
                    {
                        throw Cut(received, null);
                    }

                    break;
                }

                if (reader.Data.SequenceEqual("[DONE]"u8))
                {
                    done = true;
                    continue;
                }

                deltas.Clear();
                OpenAiChatWire.ReadChunk(reader.Data, deltas, ref end, ref reported, sender.Provider);
                foreach (var delta in deltas)
                {
                    received++;
                    if (reported is null)
                    {
                        produced.Add(delta);
                    }

                    yield return delta;
                }
            }

            if (end.Length == 0)
            {
                throw Cut(received, null);
            }

            yield return new ChatEnded(end, reported ?? Estimate(request, produced));
        }
    }

    public async Task<EmbeddingBatchResult> EmbedAsync(string model, IReadOnlyList<string> inputs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var length = 256;
        for (var i = 0; i < inputs.Count; i++)
        {
            length += inputs[i].Length;
        }
        var buffer = new ArrayBufferWriter<byte>(length);
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
            writer.WriteString("encoding_format", sender.Provider.Options.EmbeddingEncoding);
            // NVIDIA's retrieval embedding models require it; other servers ignore it.
            if (Name == ProviderNames.Nim)
            {
                writer.WriteString("input_type", "query");
            }
            writer.WriteEndObject();
        }
        // The written part of the writer's own array is the body (not copied again; the GC owns it, so a retry or a
        // body still being sent after the response began can never see a reused buffer).
        var body = buffer.WrittenMemory;
        using var response = await sender.SendAsync("embeddings", endpoint => Post(endpoint, new ReadOnlyMemoryContent(body)), cancellationToken).ConfigureAwait(false);
        var (answer, answerLength) = await ReadBodyAsync(response, cancellationToken).ConfigureAwait(false);
        float[][] vectors;
        long? reported;
        try
        {
            vectors = OpenAiEmbeddingsWire.Read(answer.AsSpan(0, answerLength), inputs.Count, out reported);
        }
        finally
        {
            ReturnBody(answer);
        }

        long tokens;
        if (reported is { } count)
        {
            tokens = count;
        }
        else
        {
            tokens = 0;
            foreach (var input in inputs)
            {
                tokens += TokenCounter.Shared.Count(input);
            }
            metrics.UsageEstimated(Name);
        }
        return new EmbeddingBatchResult(vectors, tokens);
    }

    private HttpRequestMessage Post(Uri endpoint, byte[] body, bool stream) => Post(endpoint, new ByteArrayContent(body), stream);

    private HttpRequestMessage Post(Uri endpoint, HttpContent body, bool stream = false)
    {
        body.Headers.ContentType = Json;
        var message = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = body };
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

    /// <summary>The upstream sent no usage: the prompt and what it answered, counted with the gateway's tokenizer.</summary>
    private TokenUsage Estimate(ProviderChatRequest request, List<ChatEvent> answer)
    {
        metrics.UsageEstimated(Name);
        return new TokenUsage(ChatTokens.CountPrompt(request.Chat), ChatTokens.CountAnswer(answer), Estimated: true);
    }

    private GatewayException Cut(int receivedDeltas, Exception? inner) =>
        new(GatewayErrorKind.Unavailable,
            $"The upstream '{Name}' stream ended before the answer was complete ({receivedDeltas} deltas received); the partial answer is not a result.",
            null, inner)
        { Reason = "UPSTREAM_STREAM_CUT" };

    private static GatewayException Protocol(string what) => OpenAiChatWire.Protocol(what);

    /// <summary>The most an embeddings answer may hold: 2,048 inputs of 4,096 dimensions at ~12 bytes a number is ~100 MB.</summary>
    private const int MaxEmbeddingsAnswerBytes = 256 << 20;

    /// <summary>Answers up to this size are read into buffers of the shared pool; larger ones into their own, left to the GC.</summary>
    private const int PooledAnswerBytes = 4 << 20;

    /// <summary>
    /// The whole answer in a buffer (the caller passes it to <see cref="ReturnBody"/>), and its length. More than
    /// <see cref="MaxEmbeddingsAnswerBytes"/>, declared or read, is a protocol error.
    /// </summary>
    private static async Task<(byte[] Buffer, int Length)> ReadBodyAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var declared = response.Content.Headers.ContentLength;
        if (declared > MaxEmbeddingsAnswerBytes)
        {
            throw Protocol($"an embeddings answer of {declared} bytes (at most {MaxEmbeddingsAnswerBytes >> 20} MiB are read)");
        }

        var buffer = RentBody(declared is > 0 ? (int)declared + 1 : 64 * 1024);
        var length = 0;
        try
        {
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                int read;
                while ((read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false)) > 0)
                {
                    length += read;
                    if (length == buffer.Length)
                    {
                        if (length >= MaxEmbeddingsAnswerBytes)
                        {
                            throw Protocol($"an embeddings answer larger than {MaxEmbeddingsAnswerBytes >> 20} MiB");
                        }

                        var larger = RentBody(Math.Min(buffer.Length * 2, MaxEmbeddingsAnswerBytes));
                        buffer.AsSpan(0, length).CopyTo(larger);
                        ReturnBody(buffer);
                        buffer = larger;
                    }
                }
            }

            return (buffer, length);
        }
        catch (Exception ex)
        {
            ReturnBody(buffer);
            if (ex is IOException or HttpRequestException)
            {
                throw OpenAiChatWire.ReadCut(ex);
            }

            throw;
        }
    }

    private static byte[] RentBody(int size) =>
        size <= PooledAnswerBytes ? ArrayPool<byte>.Shared.Rent(size) : GC.AllocateUninitializedArray<byte>(size);

    private static void ReturnBody(byte[] buffer)
    {
        if (buffer.Length <= PooledAnswerBytes)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
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
            throw OpenAiChatWire.Malformed(ex);
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException)
        {
            throw OpenAiChatWire.ReadCut(ex);
        }
    }

}

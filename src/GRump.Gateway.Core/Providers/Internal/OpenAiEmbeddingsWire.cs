using System.Buffers;
using System.Buffers.Binary;
using System.Text.Json;
using GRump.Gateway.Embeddings.Internal;

namespace GRump.Gateway.Providers.Internal;

/// <summary>
/// Reads an OpenAI embeddings answer, <c>{"data":[{"index":0,"embedding":[0.1,…]},…],"usage":{"prompt_tokens":n}}</c>
/// (or with each embedding as base64 of its floats' bytes, <c>encoding_format: base64</c>), from its bytes. The
/// structure goes through <see cref="Utf8JsonReader"/>; each <c>embedding</c> array, thousands of numbers, is read by
/// <see cref="FloatText.TryReadArray"/> in one pass (no token per number), and the reader resumes at its <c>]</c> from
/// the state it had at the <c>[</c> (so a later JSON error's line and position, in the exception's message only, do not
/// count what the array held). Anything else in the array than numbers is a protocol error.
/// </summary>
internal static class OpenAiEmbeddingsWire
{
    /// <summary>The vectors in input order, and the upstream's <c>usage.prompt_tokens</c> when it sent one.</summary>
    public static float[][] Read(ReadOnlySpan<byte> json, int inputCount, out long? promptTokens)
    {
        promptTokens = null;
        if (json.StartsWith("\uFEFF"u8))
        {
            json = json[3..]; // a UTF-8 byte order mark, which JsonDocument skipped and Utf8JsonReader does not
        }

        var vectors = new float[inputCount][];
        var answer = new Answer(json);
        try
        {
            Next(ref answer.Reader, JsonTokenType.StartObject, "an embeddings response that is not a JSON object");
            while (answer.Reader.Read() && answer.Reader.TokenType == JsonTokenType.PropertyName)
            {
                if (answer.Reader.ValueTextEquals("data"u8))
                {
                    Next(ref answer.Reader, JsonTokenType.StartArray, "an embeddings response without data");
                    while (answer.Reader.Read() && answer.Reader.TokenType == JsonTokenType.StartObject)
                    {
                        var (index, vector) = ReadItem(ref answer);
                        if ((uint)index >= (uint)vectors.Length || vector is null)
                        {
                            throw OpenAiChatWire.Protocol("an embedding with a missing or out-of-range index");
                        }

                        vectors[index] = vector;
                    }
                }
                else if (answer.Reader.ValueTextEquals("usage"u8))
                {
                    promptTokens = ReadPromptTokens(ref answer.Reader) ?? promptTokens;
                }
                else
                {
                    answer.Reader.Read();
                    answer.Reader.Skip();
                }
            }

            if (answer.Reader.TokenType != JsonTokenType.EndObject || answer.Reader.Read())
            {
                throw OpenAiChatWire.Protocol("an embeddings response that is not one JSON object");
            }

            if (Array.IndexOf(vectors, null) >= 0)
            {
                throw OpenAiChatWire.Protocol($"{inputCount} inputs but fewer embeddings");
            }

            return vectors;
        }
        catch (JsonException ex)
        {
            throw OpenAiChatWire.Malformed(ex);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(answer.Values);
        }
    }

    /// <summary>The answer's bytes, the reader over them (from <see cref="Offset"/> on), and scratch for one array's numbers.</summary>
    private ref struct Answer(ReadOnlySpan<byte> json)
    {
        public readonly ReadOnlySpan<byte> Json = json;
        public Utf8JsonReader Reader = new(json, isFinalBlock: true, default);
        public int Offset;
        public float[] Values = ArrayPool<float>.Shared.Rent(1024);
    }

    /// <summary>One item of <c>data</c>, its <c>{</c> just read: its index (-1 when missing) and its vector (null when missing).</summary>
    private static (int Index, float[]? Vector) ReadItem(ref Answer answer)
    {
        var index = -1;
        float[]? vector = null;
        while (answer.Reader.Read() && answer.Reader.TokenType == JsonTokenType.PropertyName)
        {
            if (answer.Reader.ValueTextEquals("index"u8))
            {
                answer.Reader.Read();
                if (answer.Reader.TokenType != JsonTokenType.Number || !answer.Reader.TryGetInt32(out index))
                {
                    index = -1;
                    answer.Reader.Skip();
                }
            }
            else if (answer.Reader.ValueTextEquals("embedding"u8))
            {
                vector = ReadEmbedding(ref answer);
            }
            else
            {
                answer.Reader.Read();
                answer.Reader.Skip();
            }
        }

        return (index, vector);
    }

    /// <summary>An <c>embedding</c> value: an array of numbers, or base64 of the floats' little-endian bytes.</summary>
    private static float[] ReadEmbedding(ref Answer answer)
    {
        if (!answer.Reader.Read() || answer.Reader.TokenType is not (JsonTokenType.StartArray or JsonTokenType.String))
        {
            throw OpenAiChatWire.Protocol("an embedding that is neither an array of numbers nor base64");
        }

        if (answer.Reader.TokenType == JsonTokenType.String)
        {
            return FromBase64(ref answer.Reader);
        }

        var state = answer.Reader.CurrentState;
        var end = FloatText.TryReadArray(answer.Json, answer.Offset + (int)answer.Reader.TokenStartIndex, ref answer.Values, out var count);
        if (end < 0)
        {
            throw OpenAiChatWire.Protocol("an embedding that is not an array of finite numbers, or an answer cut short inside one");
        }

        // Back to the reader at the array's end, in the state it was in at its start.
        answer.Offset = end;
        answer.Reader = new Utf8JsonReader(answer.Json[end..], isFinalBlock: true, state);
        Next(ref answer.Reader, JsonTokenType.EndArray, "an embedding that is not an array of numbers");
        return answer.Values.AsSpan(0, count).ToArray();
    }

    private static float[] FromBase64(ref Utf8JsonReader reader)
    {
        if (!reader.TryGetBytesFromBase64(out var bytes) || bytes.Length % sizeof(float) != 0)
        {
            throw OpenAiChatWire.Protocol("a base64 embedding that is not a whole number of floats");
        }

        var vector = new float[bytes.Length / sizeof(float)];
        for (var i = 0; i < vector.Length; i++)
        {
            vector[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * sizeof(float)));
            if (!float.IsFinite(vector[i]))
            {
                throw OpenAiChatWire.Protocol("an embedding with a value that is not a finite number");
            }
        }

        return vector;
    }

    /// <summary><c>usage.prompt_tokens</c>, its property name just read; null when absent or not a whole number.</summary>
    private static long? ReadPromptTokens(ref Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return null;
        }

        long? tokens = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isPrompt = reader.ValueTextEquals("prompt_tokens"u8);
            reader.Read();
            if (isPrompt && reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var count))
            {
                tokens = count;
            }
            else
            {
                reader.Skip();
            }
        }

        return tokens;
    }

    private static void Next(ref Utf8JsonReader reader, JsonTokenType expected, string what)
    {
        if (!reader.Read() || reader.TokenType != expected)
        {
            throw OpenAiChatWire.Protocol(what);
        }
    }
}

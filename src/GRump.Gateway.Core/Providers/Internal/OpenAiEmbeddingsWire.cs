using System.Buffers;
using System.Buffers.Binary;
using System.Buffers.Text;
using System.Runtime.InteropServices;
using System.Text.Json;
using GRump.Gateway.Embeddings.Internal;

namespace GRump.Gateway.Providers.Internal;

/// <summary>
/// Reads an OpenAI embeddings answer, <c>{"data":[{"index":0,"embedding":[0.1,…]},…],"usage":{"prompt_tokens":n}}</c>
/// (or with each embedding as base64 of its floats' bytes, <c>encoding_format: base64</c>),
/// from its bytes. The structure goes through <see cref="Utf8JsonReader"/>; each <c>embedding</c> array, thousands of
/// numbers, is read by <see cref="FloatText.TryReadArray"/> in one pass (no token per number), and the reader resumes at
/// its <c>]</c> from the state it had at the <c>[</c> (so a later JSON error's line and position, in the exception's
/// message only, do not count what the array held). Anything else in the array than numbers is a protocol error.
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
        var values = ArrayPool<float>.Shared.Rent(1024);
        try
        {
            var reader = new Utf8JsonReader(json, isFinalBlock: true, default);
            var offset = 0; // where the reader's span starts in json
            Next(ref reader, JsonTokenType.StartObject, "an embeddings response that is not a JSON object");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("data"u8))
                {
                    Next(ref reader, JsonTokenType.StartArray, "an embeddings response without data");
                    while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
                    {
                        var index = -1;
                        float[]? vector = null;
                        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                        {
                            if (reader.ValueTextEquals("index"u8))
                            {
                                reader.Read();
                                if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out index))
                                {
                                    index = -1;
                                    reader.Skip();
                                }
                            }
                            else if (reader.ValueTextEquals("embedding"u8))
                            {
                                if (!reader.Read() || reader.TokenType is not (JsonTokenType.StartArray or JsonTokenType.String))
                                {
                                    throw OpenAiChatWire.Protocol("an embedding that is neither an array of numbers nor base64");
                                }

                                if (reader.TokenType == JsonTokenType.String)
                                {
                                    vector = FromBase64(ref reader);
                                    continue;
                                }

                                var state = reader.CurrentState;
                                var start = offset + (int)reader.TokenStartIndex;
                                var end = FloatText.TryReadArray(json, start, ref values, out var count);
                                if (end < 0)
                                {
                                    throw OpenAiChatWire.Protocol("an embedding that is not an array of finite numbers, or an answer cut short inside one");
                                }

                                vector = values.AsSpan(0, count).ToArray();
                                // Back to the reader at the array's end, in the state it was in at its start.
                                offset = end;
                                reader = new Utf8JsonReader(json[end..], isFinalBlock: true, state);
                                Next(ref reader, JsonTokenType.EndArray, "an embedding that is not an array of numbers");
                            }
                            else
                            {
                                reader.Skip();
                            }
                        }

                        if ((uint)index >= (uint)vectors.Length || vector is null)
                        {
                            throw OpenAiChatWire.Protocol("an embedding with a missing or out-of-range index");
                        }

                        vectors[index] = vector;
                    }
                }
                else if (reader.ValueTextEquals("usage"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.StartObject)
                    {
                        reader.Skip();
                        continue;
                    }

                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        var isPrompt = reader.ValueTextEquals("prompt_tokens"u8);
                        reader.Read();
                        if (isPrompt && reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var tokens))
                        {
                            promptTokens = tokens;
                        }
                        else
                        {
                            reader.Skip();
                        }
                    }
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
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
            throw new Errors.GatewayException(Errors.GatewayErrorKind.Unavailable, "The upstream sent a malformed JSON response.", null, ex) { Reason = "UPSTREAM_PROTOCOL" };
        }
        finally
        {
            ArrayPool<float>.Shared.Return(values);
        }
    }

    /// <summary>A base64 embedding (<c>encoding_format: base64</c>): the floats' little-endian bytes.</summary>
    private static float[] FromBase64(ref Utf8JsonReader reader)
    {
        var text = reader.ValueIsEscaped ? Unescape(ref reader) : reader.ValueSpan;
        var padding = text.EndsWith("=="u8) ? 2 : text.EndsWith("="u8) ? 1 : 0;
        var bytes = text.Length / 4 * 3 - padding;
        if (text.Length % 4 != 0 || bytes % sizeof(float) != 0)
        {
            throw OpenAiChatWire.Protocol("a base64 embedding that is not a whole number of floats");
        }

        var vector = new float[bytes / sizeof(float)];
        var target = MemoryMarshal.AsBytes(vector.AsSpan());
        if (Base64.DecodeFromUtf8(text, target, out _, out var written) != OperationStatus.Done || written != bytes)
        {
            throw OpenAiChatWire.Protocol("an embedding that is not valid base64");
        }

        if (!BitConverter.IsLittleEndian)
        {
            var words = MemoryMarshal.Cast<float, int>(vector.AsSpan());
            BinaryPrimitives.ReverseEndianness(words, words);
        }

        foreach (var value in vector)
        {
            if (!float.IsFinite(value))
            {
                throw OpenAiChatWire.Protocol("an embedding with a value that is not a finite number");
            }
        }

        return vector;
    }

    private static ReadOnlySpan<byte> Unescape(ref Utf8JsonReader reader)
    {
        var unescaped = new byte[reader.ValueSpan.Length];
        return unescaped.AsSpan(0, reader.CopyString(unescaped));
    }

    private static void Next(ref Utf8JsonReader reader, JsonTokenType expected, string what)
    {
        if (!reader.Read() || reader.TokenType != expected)
        {
            throw OpenAiChatWire.Protocol(what);
        }
    }
}

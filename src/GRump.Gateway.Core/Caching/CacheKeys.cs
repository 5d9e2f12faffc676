using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using GRump.Gateway.Chat;
using GRump.Gateway.Providers;

namespace GRump.Gateway.Caching;

/// <summary>
/// Builds <see cref="CacheKey"/>s: SHA-256 over a canonical, length-prefixed encoding that starts with
/// <see cref="FormatVersion"/> and the key's kind, then every input that can change the answer. Length prefixes make
/// the encoding injective (<c>["ab","c"]</c> and <c>["a","bc"]</c> differ), so two requests share a key only when they
/// are the same request. Bump <see cref="FormatVersion"/> whenever the encoding or a cached value's format changes:
/// old entries then simply stop matching.
/// </summary>
public static class CacheKeys
{
    /// <summary>Version of the key encoding and of the cached formats; part of every key.</summary>
    public const byte FormatVersion = 3;

    /// <summary>
    /// A chat completion: tenant (a key never mixes tenants), provider, resolved model, the output cap, and everything in
    /// the request that can change the answer — every message (role, each content part, tool calls, tool results),
    /// sampling, seed, stop sequences, tools and tool choice, response format and reasoning. Streamed and whole answers
    /// share keys: a stream can replay what a unary call stored and the other way round.
    /// </summary>
    public static CacheKey ForChat(string tenant, string provider, ProviderChatRequest request)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(request);
        var chat = request.Chat;
        var writer = new KeyWriter(1024);
        try
        {
            writer.Byte(FormatVersion);
            writer.String("chat");
            writer.String(tenant);
            writer.String(provider);
            writer.String(request.Model);
            writer.Int32(request.MaxOutputTokens);
            writer.Int32(chat.Messages.Count);
            // Indexed loops here and in the rest of the chat path: foreach over an IReadOnlyList boxes its enumerator.
            for (var messageIndex = 0; messageIndex < chat.Messages.Count; messageIndex++)
            {
                var message = chat.Messages[messageIndex];
                writer.Byte((byte)message.Role);
                writer.Int32(message.Content.Count);
                for (var partIndex = 0; partIndex < message.Content.Count; partIndex++)
                {
                    var part = message.Content[partIndex];
                    switch (part)
                    {
                        case TextPart text:
                            writer.Byte(1);
                            writer.String(text.Text);
                            writer.String(Control(text.CacheControl));
                            break;
                        case ImagePart image:
                            writer.Byte(2);
                            writer.String(image.Url);
                            writer.String(image.Detail);
                            writer.String(Control(image.CacheControl));
                            break;
                        case ReasoningPart reasoning:
                            writer.Byte(3);
                            writer.String(reasoning.Text);
                            writer.String(reasoning.Signature);
                            writer.String(reasoning.RedactedData);
                            break;
                        default:
                            throw new ArgumentOutOfRangeException(nameof(request), part, "A content part the cache key does not know.");
                    }
                }

                writer.Int32(message.ToolCalls.Count);
                for (var callIndex = 0; callIndex < message.ToolCalls.Count; callIndex++)
                {
                    var call = message.ToolCalls[callIndex];
                    writer.String(call.Id);
                    writer.String(call.Name);
                    writer.String(call.ArgumentsJson);
                    writer.String(Control(call.CacheControl));
                }

                writer.String(message.ToolCallId);
                writer.String(message.Name);
                writer.Byte(message.IsError ? (byte)1 : (byte)0);
                writer.String(Control(message.CacheControl));
            }

            writer.OptionalSingle(chat.Temperature);
            writer.OptionalSingle(chat.TopP);
            writer.OptionalSingle(chat.FrequencyPenalty);
            writer.OptionalSingle(chat.PresencePenalty);
            writer.OptionalInt64(chat.Seed);
            writer.Int32(chat.Stop.Count);
            for (var stopIndex = 0; stopIndex < chat.Stop.Count; stopIndex++)
            {
                var stop = chat.Stop[stopIndex];
                writer.String(stop);
            }

            writer.Int32(chat.Tools.Count);
            for (var toolIndex = 0; toolIndex < chat.Tools.Count; toolIndex++)
            {
                var tool = chat.Tools[toolIndex];
                writer.String(tool.Name);
                writer.String(tool.Description);
                writer.String(tool.ParametersJson);
                writer.Byte(tool.Strict switch { null => 0, true => 1, false => 2 });
                writer.String(Control(tool.CacheControl));
            }

            writer.Byte(chat.ToolChoice is { } choice ? (byte)(choice.Kind + 1) : (byte)0);
            writer.String(chat.ToolChoice?.Name);
            writer.Byte(chat.ParallelToolCalls switch { null => 0, true => 1, false => 2 });
            writer.Byte(chat.ResponseFormat is { } format ? (byte)(format.Kind + 1) : (byte)0);
            writer.String(chat.ResponseFormat?.Name);
            writer.String(chat.ResponseFormat?.SchemaJson);
            writer.Byte(chat.ResponseFormat?.Strict switch { null => 0, true => 1, false => 2 });
            writer.Int32(chat.Reasoning?.BudgetTokens ?? 0);
            writer.String(chat.Reasoning?.Effort);
            return writer.Hash();
        }
        finally
        {
            writer.Dispose();
        }
    }

    /// <summary>
    /// A prompt-cache breakpoint: it does not change the answer, but it changes what the call costs (and so the
    /// savings a hit reports), so requests that differ in it do not share an entry.
    /// </summary>
    private static string? Control(CacheControl? control) => control is null ? null : "c" + control.Ttl;

    /// <summary>
    /// One text's embedding. The vector depends only on provider, model and text, but the tenant is part of the key
    /// all the same: a key never mixes tenants (DESIGN.md), so one tenant cannot learn from timing what another embedded.
    /// </summary>
    public static CacheKey ForEmbedding(string tenant, string provider, string model, string text) =>
        ForParts("embedding", [tenant, provider, model, text]);

    /// <summary>
    /// A compiled intent: the raw text and the constraints' canonical JSON (null or empty = none). The compiler is a
    /// pure function of these, so intents are shared across tenants.
    /// </summary>
    public static CacheKey ForIntent(string raw, string? constraintsJson) =>
        ForParts("intent", [raw, string.IsNullOrEmpty(constraintsJson) ? string.Empty : constraintsJson]);

    /// <summary>A key for any other value: the namespace plus the given parts, in order (e.g. plans, warmed entries).</summary>
    public static CacheKey ForText(CacheNamespace ns, params ReadOnlySpan<string> parts)
    {
        var all = new string[parts.Length + 1];
        all[0] = ns.Name();
        parts.CopyTo(all.AsSpan(1));
        return ForParts("text", all);
    }

    private static CacheKey ForParts(string kind, ReadOnlySpan<string> parts)
    {
        var writer = new KeyWriter(256);
        try
        {
            writer.Byte(FormatVersion);
            writer.String(kind);
            writer.Int32(parts.Length);
            foreach (var part in parts)
            {
                ArgumentNullException.ThrowIfNull(part);
                writer.String(part);
            }

            return writer.Hash();
        }
        finally
        {
            writer.Dispose();
        }
    }

    /// <summary>Writes the canonical encoding into a pooled buffer that grows as needed, then hashes it.</summary>
    private ref struct KeyWriter(int capacity)
    {
        private byte[] _buffer = ArrayPool<byte>.Shared.Rent(capacity);
        private int _position;

        public void Byte(byte value)
        {
            Ensure(1);
            _buffer[_position++] = value;
        }

        public void Int32(int value)
        {
            Ensure(4);
            BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(_position), value);
            _position += 4;
        }

        public void OptionalSingle(float? value)
        {
            if (value is not { } v)
            {
                Byte(0);
                return;
            }

            Byte(1);
            Ensure(4);
            // -0 and 0 are the same setting.
            BinaryPrimitives.WriteSingleLittleEndian(_buffer.AsSpan(_position), v == 0 ? 0f : v);
            _position += 4;
        }

        public void OptionalInt64(long? value)
        {
            if (value is not { } v)
            {
                Byte(0);
                return;
            }

            Byte(1);
            Ensure(8);
            BinaryPrimitives.WriteInt64LittleEndian(_buffer.AsSpan(_position), v);
            _position += 8;
        }

        public void String(string? value)
        {
            // Null and empty are the same (providers treat them alike); the byte length comes first.
            value ??= string.Empty;
            Ensure(4 + Encoding.UTF8.GetMaxByteCount(value.Length));
            var written = Encoding.UTF8.GetBytes(value, _buffer.AsSpan(_position + 4));
            BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(_position), written);
            _position += 4 + written;
        }

        public readonly CacheKey Hash()
        {
            Span<byte> hash = stackalloc byte[CacheKey.Size];
            SHA256.HashData(_buffer.AsSpan(0, _position), hash);
            return new CacheKey(hash);
        }

        public void Dispose()
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }

        private void Ensure(int count)
        {
            if (_position + count <= _buffer.Length)
            {
                return;
            }

            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _position + count));
            _buffer.AsSpan(0, _position).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }
    }
}

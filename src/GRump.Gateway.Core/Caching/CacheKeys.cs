using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
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
    public const byte FormatVersion = 1;

    /// <summary>
    /// A chat completion: tenant (a key never mixes tenants), provider, resolved model, every message (role and content,
    /// in order), temperature, top_p, max_tokens, seed and stop sequences.
    /// </summary>
    public static CacheKey ForChat(string tenant, string provider, ProviderChatRequest request)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(request);
        var messages = request.Messages;
        var stop = request.Stop;
        var max = 64 + MaxString("chat") + MaxString(tenant) + MaxString(provider) + MaxString(request.Model);
        for (var i = 0; i < messages.Count; i++)
        {
            max += MaxString(messages[i].Role) + MaxString(messages[i].Content);
        }

        for (var i = 0; i < stop.Count; i++)
        {
            max += MaxString(stop[i]);
        }

        var buffer = ArrayPool<byte>.Shared.Rent(max);
        try
        {
            var writer = new KeyWriter(buffer);
            writer.Byte(FormatVersion);
            writer.String("chat");
            writer.String(tenant);
            writer.String(provider);
            writer.String(request.Model);
            writer.Int32(messages.Count);
            for (var i = 0; i < messages.Count; i++)
            {
                writer.String(messages[i].Role);
                writer.String(messages[i].Content);
            }

            writer.OptionalSingle(request.Temperature);
            writer.OptionalSingle(request.TopP);
            writer.Int32(request.MaxTokens);
            writer.OptionalInt64(request.Seed);
            writer.Int32(stop.Count);
            for (var i = 0; i < stop.Count; i++)
            {
                writer.String(stop[i]);
            }

            return writer.Hash();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

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
        var max = 16 + MaxString(kind);
        foreach (var part in parts)
        {
            ArgumentNullException.ThrowIfNull(part);
            max += MaxString(part);
        }

        var buffer = ArrayPool<byte>.Shared.Rent(max);
        try
        {
            var writer = new KeyWriter(buffer);
            writer.Byte(FormatVersion);
            writer.String(kind);
            writer.Int32(parts.Length);
            foreach (var part in parts)
            {
                writer.String(part);
            }

            return writer.Hash();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static int MaxString(string? value) => 5 + Encoding.UTF8.GetMaxByteCount(value?.Length ?? 0);

    private ref struct KeyWriter(byte[] buffer)
    {
        private readonly Span<byte> _buffer = buffer;
        private int _position;

        public void Byte(byte value) => _buffer[_position++] = value;

        public void Int32(int value)
        {
            BinaryPrimitives.WriteInt32LittleEndian(_buffer[_position..], value);
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
            // -0 and 0 are the same setting.
            BinaryPrimitives.WriteSingleLittleEndian(_buffer[_position..], v == 0 ? 0f : v);
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
            BinaryPrimitives.WriteInt64LittleEndian(_buffer[_position..], v);
            _position += 8;
        }

        public void String(string? value)
        {
            // Null and empty are the same (providers treat them alike); the byte length comes first.
            var written = Encoding.UTF8.GetBytes(value ?? string.Empty, _buffer[(_position + 4)..]);
            BinaryPrimitives.WriteInt32LittleEndian(_buffer[_position..], written);
            _position += 4 + written;
        }

        public readonly CacheKey Hash()
        {
            Span<byte> hash = stackalloc byte[CacheKey.Size];
            SHA256.HashData(_buffer[.._position], hash);
            return new CacheKey(hash);
        }
    }
}

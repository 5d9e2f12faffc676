using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;

namespace GRump.Gateway.Caching.Internal;

/// <summary>An entry read from L2 or L3, with that tier's expiry.</summary>
internal readonly record struct StoredEntry(CacheEntry Entry, DateTimeOffset ExpiresAt);

/// <summary>
/// The byte formats of L2 values and L3 files. Both carry the creation time, the expiry (checked against the
/// injected clock, so a read never returns an expired entry whatever the store's own TTL does) and the cost.
/// </summary>
internal static class EntryCodec
{
    // L2: [version][flags][created ms][expires ms][cost] payload — flags bit 0 = gzip.
    public const int RedisHeaderSize = 1 + 1 + 8 + 8 + 8;
    public const byte RedisVersion = 1;
    private const byte GzipFlag = 1;

    // L3: [magic "GRC1"][version u16][flags u16][key 32][created ms][expires ms][cost][payload length][crc32] payload.
    public const int FileHeaderSize = 4 + 2 + 2 + CacheKey.Size + 8 + 8 + 8 + 4 + 4;
    public const uint FileMagic = 0x31435247; // "GRC1" little-endian
    public const ushort FileVersion = 1;

    public static byte[] EncodeRedis(CacheEntry entry, DateTimeOffset expiresAt, int compressionThreshold)
    {
        var payload = entry.Value.Span;
        byte[] result;
        byte flags = 0;
        if (payload.Length >= compressionThreshold && payload.Length > 0)
        {
            using var buffer = new MemoryStream(RedisHeaderSize + (payload.Length / 2));
            buffer.Write(new byte[RedisHeaderSize]);
            using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
            {
                gzip.Write(payload);
            }

            result = buffer.ToArray();
            flags = GzipFlag;
        }
        else
        {
            result = new byte[RedisHeaderSize + payload.Length];
            payload.CopyTo(result.AsSpan(RedisHeaderSize));
        }

        var header = result.AsSpan();
        header[0] = RedisVersion;
        header[1] = flags;
        BinaryPrimitives.WriteInt64LittleEndian(header[2..], entry.CreatedAt.ToUnixTimeMilliseconds());
        BinaryPrimitives.WriteInt64LittleEndian(header[10..], expiresAt.ToUnixTimeMilliseconds());
        BinaryPrimitives.WriteDoubleLittleEndian(header[18..], entry.CostUsd);
        return result;
    }

    /// <summary>Null for an unknown version or a corrupt value.</summary>
    public static StoredEntry? DecodeRedis(byte[] data)
    {
        if (data.Length < RedisHeaderSize || data[0] != RedisVersion)
        {
            return null;
        }

        var span = data.AsSpan();
        var created = DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64LittleEndian(span[2..]));
        var expires = DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64LittleEndian(span[10..]));
        var cost = BinaryPrimitives.ReadDoubleLittleEndian(span[18..]);
        if (!double.IsFinite(cost) || cost < 0)
        {
            return null;
        }

        ReadOnlyMemory<byte> payload;
        if ((data[1] & GzipFlag) != 0)
        {
            try
            {
                using var input = new MemoryStream(data, RedisHeaderSize, data.Length - RedisHeaderSize, writable: false);
                using var gzip = new GZipStream(input, CompressionMode.Decompress);
                using var output = new MemoryStream(data.Length * 4);
                gzip.CopyTo(output);
                payload = output.ToArray();
            }
            catch (InvalidDataException)
            {
                return null;
            }
        }
        else
        {
            // Small values are used in place: no copy, never "decompressed".
            payload = data.AsMemory(RedisHeaderSize);
        }

        return new StoredEntry(new CacheEntry(payload, created, cost), expires);
    }

    /// <summary>True when an L2 value is stored compressed (tests read it straight from Redis).</summary>
    public static bool IsCompressed(byte[] data) => data.Length >= RedisHeaderSize && (data[1] & GzipFlag) != 0;

    public static void WriteFileHeader(Span<byte> header, CacheKey key, CacheEntry entry, DateTimeOffset expiresAt)
    {
        var payload = entry.Value.Span;
        BinaryPrimitives.WriteUInt32LittleEndian(header, FileMagic);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], FileVersion);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 0);
        key.CopyTo(header[8..]);
        BinaryPrimitives.WriteInt64LittleEndian(header[40..], entry.CreatedAt.ToUnixTimeMilliseconds());
        BinaryPrimitives.WriteInt64LittleEndian(header[48..], expiresAt.ToUnixTimeMilliseconds());
        BinaryPrimitives.WriteDoubleLittleEndian(header[56..], entry.CostUsd);
        BinaryPrimitives.WriteInt32LittleEndian(header[64..], payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[68..], Crc32.HashToUInt32(payload));
    }

    /// <summary>The expiry from a file header; null when the header is not ours (wrong magic or version, too short).</summary>
    public static DateTimeOffset? ReadFileExpiry(ReadOnlySpan<byte> header)
    {
        if (header.Length < FileHeaderSize
            || BinaryPrimitives.ReadUInt32LittleEndian(header) != FileMagic
            || BinaryPrimitives.ReadUInt16LittleEndian(header[4..]) != FileVersion)
        {
            return null;
        }

        return DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64LittleEndian(header[48..]));
    }

    /// <summary>A whole file, verified: magic, version, key, length and checksum. Null when anything is off.</summary>
    public static StoredEntry? DecodeFile(byte[] data, CacheKey key)
    {
        var span = data.AsSpan();
        if (ReadFileExpiry(span) is not { } expires || new CacheKey(span.Slice(8, CacheKey.Size)) != key)
        {
            return null;
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(span[64..]);
        if (length != data.Length - FileHeaderSize)
        {
            return null;
        }

        var payload = data.AsMemory(FileHeaderSize);
        if (Crc32.HashToUInt32(payload.Span) != BinaryPrimitives.ReadUInt32LittleEndian(span[68..]))
        {
            return null;
        }

        var cost = BinaryPrimitives.ReadDoubleLittleEndian(span[56..]);
        if (!double.IsFinite(cost) || cost < 0)
        {
            return null;
        }

        var created = DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64LittleEndian(span[40..]));
        return new StoredEntry(new CacheEntry(payload, created, cost), expires);
    }
}

using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace GRump.Gateway.Caching;

/// <summary>
/// A cache key: the SHA-256 of a canonical encoding (see <see cref="CacheKeys"/>). A 32-byte value type, so lookups
/// compare four integers and allocate nothing; <see cref="ToHex"/> names the entry in Redis and on disk.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public readonly struct CacheKey : IEquatable<CacheKey>
{
    public const int Size = 32;

    private readonly ulong _a;
    private readonly ulong _b;
    private readonly ulong _c;
    private readonly ulong _d;

    /// <summary>Wraps a 32-byte hash.</summary>
    public CacheKey(ReadOnlySpan<byte> hash)
    {
        if (hash.Length != Size)
        {
            throw new ArgumentException($"A cache key is {Size} bytes; got {hash.Length}.", nameof(hash));
        }

        _a = BinaryPrimitives.ReadUInt64BigEndian(hash);
        _b = BinaryPrimitives.ReadUInt64BigEndian(hash[8..]);
        _c = BinaryPrimitives.ReadUInt64BigEndian(hash[16..]);
        _d = BinaryPrimitives.ReadUInt64BigEndian(hash[24..]);
    }

    public bool IsEmpty => (_a | _b | _c | _d) == 0;

    public void CopyTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, _a);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _b);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], _c);
        BinaryPrimitives.WriteUInt64BigEndian(destination[24..], _d);
    }

    /// <summary>64 lower-case hex digits.</summary>
    public string ToHex()
    {
        Span<byte> bytes = stackalloc byte[Size];
        CopyTo(bytes);
        return Convert.ToHexStringLower(bytes);
    }

    /// <summary>Parses <see cref="ToHex"/>'s output.</summary>
    public static bool TryParseHex(ReadOnlySpan<char> hex, out CacheKey key)
    {
        Span<byte> bytes = stackalloc byte[Size];
        if (hex.Length != Size * 2 || Convert.FromHexString(hex, bytes, out _, out var written) != System.Buffers.OperationStatus.Done || written != Size)
        {
            key = default;
            return false;
        }

        key = new CacheKey(bytes);
        return true;
    }

    public bool Equals(CacheKey other) => _a == other._a && _b == other._b && _c == other._c && _d == other._d;

    public override bool Equals(object? obj) => obj is CacheKey other && Equals(other);

    // The key is already a uniform hash: any 8 of its bytes make a good hash code.
    public override int GetHashCode() => (int)_a ^ (int)(_a >> 32);

    public override string ToString() => ToHex();

    public static bool operator ==(CacheKey left, CacheKey right) => left.Equals(right);

    public static bool operator !=(CacheKey left, CacheKey right) => !left.Equals(right);
}

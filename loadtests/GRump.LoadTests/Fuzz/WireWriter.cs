using System.Text;

namespace GRump.LoadTests.Fuzz;

/// <summary>
/// Protobuf wire format written by hand, so the fuzzer can write what no generated serializer would: invalid wire
/// types, lengths that lie, invalid UTF-8 in strings, groups nested past the parser's recursion limit.
/// </summary>
internal sealed class WireWriter
{
    private readonly List<byte> _bytes = [];

    public int Length => _bytes.Count;

    public byte[] ToArray() => [.. _bytes];

    public WireWriter Varint(ulong value)
    {
        while (value >= 0x80)
        {
            _bytes.Add((byte)(value | 0x80));
            value >>= 7;
        }
        _bytes.Add((byte)value);
        return this;
    }

    public WireWriter Tag(int field, int wireType) => Varint(((ulong)(uint)field << 3) | (uint)wireType);

    public WireWriter Fixed32(uint value)
    {
        for (var i = 0; i < 4; i++)
        {
            _bytes.Add((byte)(value >> (8 * i)));
        }
        return this;
    }

    public WireWriter Fixed64(ulong value)
    {
        for (var i = 0; i < 8; i++)
        {
            _bytes.Add((byte)(value >> (8 * i)));
        }
        return this;
    }

    public WireWriter LengthDelimited(ReadOnlySpan<byte> payload)
    {
        Varint((ulong)payload.Length);
        foreach (var b in payload)
        {
            _bytes.Add(b);
        }
        return this;
    }

    public WireWriter Raw(ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            _bytes.Add(b);
        }
        return this;
    }

    public WireWriter String(int field, string value) => Tag(field, WireTypes.LengthDelimited).LengthDelimited(Encoding.UTF8.GetBytes(value));

    /// <summary>One gRPC length-prefixed message: compressed flag, 4-byte big-endian length, payload.</summary>
    public static byte[] Frame(ReadOnlySpan<byte> payload, bool compressed = false, int? declaredLength = null)
    {
        var frame = new byte[5 + payload.Length];
        frame[0] = compressed ? (byte)1 : (byte)0;
        var length = declaredLength ?? payload.Length;
        frame[1] = (byte)(length >> 24);
        frame[2] = (byte)(length >> 16);
        frame[3] = (byte)(length >> 8);
        frame[4] = (byte)length;
        payload.CopyTo(frame.AsSpan(5));
        return frame;
    }
}

internal static class WireTypes
{
    public const int Varint = 0;
    public const int Fixed64 = 1;
    public const int LengthDelimited = 2;
    public const int StartGroup = 3;
    public const int EndGroup = 4;
    public const int Fixed32 = 5;
}

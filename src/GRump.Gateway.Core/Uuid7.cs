using System.Buffers.Binary;

namespace GRump.Gateway;

/// <summary>
/// Version 7 UUIDs (RFC 9562: 48 bits of Unix milliseconds, then 74 random bits) for ids that must be unique and ordered
/// by time but are no secret: chat completion ids, ledger records, budget reservations. The random bits come from
/// <see cref="Random.Shared"/> (per-thread xoshiro256**, seeded once from the OS): <see cref="Guid.CreateVersion7()"/>
/// reads <c>/dev/urandom</c> on every call here, a system call that cost ~2.4 % of the gateway's CPU at 32 concurrent
/// chats with three ids per call (docs/performance.md). Chat ids go back to callers, so ids made close together on one
/// thread are predictable in principle: never use these as tokens, keys or anything a caller must not guess.
/// </summary>
public static class Uuid7
{
    /// <summary>Stamped with the system clock, as <see cref="Guid.CreateVersion7()"/> is: an id orders by when it was made, even under a fake clock.</summary>
    public static Guid New() => New(TimeProvider.System.GetUtcNow());

    public static Guid New(DateTimeOffset timestamp)
    {
        var milliseconds = timestamp.ToUnixTimeMilliseconds();
        ArgumentOutOfRangeException.ThrowIfNegative(milliseconds, nameof(timestamp)); // before 1970: no 48-bit stamp
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteInt64BigEndian(bytes, milliseconds << 16);
        Random.Shared.NextBytes(bytes[6..]);
        bytes[6] = (byte)(0x70 | (bytes[6] & 0x0F)); // version 7
        bytes[8] = (byte)(0x80 | (bytes[8] & 0x3F)); // variant 10
        return new Guid(bytes, bigEndian: true);
    }
}

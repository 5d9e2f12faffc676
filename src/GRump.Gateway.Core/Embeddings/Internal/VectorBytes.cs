using System.Buffers;
using System.Runtime.InteropServices;

namespace GRump.Gateway.Embeddings.Internal;

/// <summary>
/// An embedding vector seen as the bytes the cache stores, without copying it: a vector is never changed once made
/// (callers and the cache only read it), so the L1 entry can hold the very array the upstream's answer was parsed into,
/// and an L1 hit hands that array back. For 4,096 floats that is 16 KB not copied on every store and every hit. Entries
/// from L2/L3 are plain bytes and are copied into a vector as before.
/// </summary>
internal sealed class VectorBytes(float[] vector) : MemoryManager<byte>
{
    private readonly float[] _vector = vector;

    /// <summary>The vector's bytes for the cache (no copy).</summary>
    public static ReadOnlyMemory<byte> Of(float[] vector) => new VectorBytes(vector).Memory;

    /// <summary>The vector behind cached bytes: the same array when <see cref="Of"/> made them, else a copy.</summary>
    public static float[] ToVector(ReadOnlyMemory<byte> bytes) =>
        MemoryMarshal.TryGetMemoryManager<byte, VectorBytes>(bytes, out var manager, out var start, out var length)
        && start == 0 && length == manager._vector.Length * sizeof(float)
            ? manager._vector
            : MemoryMarshal.Cast<byte, float>(bytes.Span).ToArray();

    public override Span<byte> GetSpan() => MemoryMarshal.AsBytes(_vector.AsSpan());

    public override unsafe MemoryHandle Pin(int elementIndex = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(elementIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(elementIndex, _vector.Length * sizeof(float));
        // The handle's Dispose frees the GCHandle; nothing else to release (the array is the GC's).
        var handle = GCHandle.Alloc(_vector, GCHandleType.Pinned);
        return new MemoryHandle((byte*)handle.AddrOfPinnedObject() + elementIndex, handle, this);
    }

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }
}

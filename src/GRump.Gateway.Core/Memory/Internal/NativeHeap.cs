using System.Runtime.InteropServices;

namespace GRump.Gateway.Memory.Internal;

/// <summary>
/// glibc's <c>malloc_trim(0)</c>: returns the free pages of every malloc arena to the system. The runtime's native side
/// (the JIT, sockets, the runtime's own tables) allocates through malloc; glibc keeps what it freed in per-thread arenas
/// and does not hand it back by itself — measured here, ~14 MB after a c=128 run that the GC trim alone left resident
/// (docs/performance.md, Footprint). Absent on other C libraries (musl, macOS, Windows): then <see cref="Trim"/> does nothing.
/// </summary>
internal static class NativeHeap
{
    private static readonly MallocTrim? Function = Find();

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int MallocTrim(nuint pad);

    /// <summary>True where the C library has <c>malloc_trim</c> (glibc).</summary>
    public static bool CanTrim => Function is not null;

    /// <summary>Trims every arena; false when nothing was released or there is nothing to call.</summary>
    public static bool Trim() => Function is { } trim && trim(0) != 0;

    private static MallocTrim? Find()
    {
        if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad("libc.so.6", out var libc))
        {
            return null;
        }

        return NativeLibrary.TryGetExport(libc, "malloc_trim", out var address) ? Marshal.GetDelegateForFunctionPointer<MallocTrim>(address) : null;
    }
}

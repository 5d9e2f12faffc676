using System.IO.Compression;
using System.IO.Hashing;
using System.Reflection;
using System.Numerics;

namespace GRump.Gateway.Tokens.Internal;

/// <summary>
/// A tiktoken vocabulary (token bytes → merge rank) in three flat arrays: every token's bytes back to back, where each
/// rank's bytes start, and an open-addressing table of ranks keyed by the bytes' hash. Microsoft.ML.Tokenizers keeps
/// o200k_base as three dictionaries of one object per token (an encoder, a decoder and a string vocabulary: ~45 MB of
/// managed heap, measured with dotnet-gcdump); counting needs only the encoder, and this layout holds it in ~4.5 MB
/// with no per-token object for the GC to trace. Read-only after construction: thread-safe.
/// </summary>
internal sealed class BpeVocabulary
{
    private readonly byte[] _bytes;
    private readonly int[] _starts; // rank r's bytes are _bytes[_starts[r].._starts[r + 1]]
    private readonly int[] _slots;  // rank + 1, 0 = empty; length a power of two, at most half full
    private readonly int _mask;

    private BpeVocabulary(byte[] bytes, int[] starts)
    {
        _bytes = bytes;
        _starts = starts;
        var tokens = starts.Length - 1;
        _slots = new int[(int)BitOperations.RoundUpToPowerOf2((uint)tokens * 2)];
        _mask = _slots.Length - 1;
        for (var rank = 0; rank < tokens; rank++)
        {
            if (starts[rank + 1] > starts[rank])
            {
                Insert(rank);
            }
        }
    }

    /// <summary>Number of ranks (the largest rank + 1).</summary>
    public int Count => _starts.Length - 1;

    /// <summary>
    /// Reads a <c>.tiktoken</c> file from a manifest resource, deflated, headed by a <c>Capacity: N</c> line and one
    /// base64 token per line in rank order, as the Microsoft.ML.Tokenizers.Data.* packages ship it.
    /// </summary>
    public static BpeVocabulary LoadDeflatedResource(string assemblyName, string resourceName)
    {
        var assembly = Assembly.Load(assemblyName);
        using var resource = assembly.GetManifestResourceStream(resourceName)
            ?? throw new InvalidOperationException($"{assemblyName} has no resource {resourceName}.");
        using var inflated = new DeflateStream(resource, CompressionMode.Decompress);
        return Load(inflated);
    }

    /// <summary>Reads an uncompressed <c>.tiktoken</c> stream: <c>base64 rank</c> lines (OpenAI's files) or base64 alone.</summary>
    public static BpeVocabulary Load(Stream tiktoken)
    {
        using var reader = new StreamReader(tiktoken);
        var tokens = new List<(int Rank, int Start, int Length)>(capacity: 200_000);
        var bytes = new byte[1 << 20];
        var used = 0;
        var maxRank = -1;
        Span<byte> decoded = stackalloc byte[256];
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0 || line.StartsWith("Capacity:", StringComparison.Ordinal))
            {
                continue; // the Data packages open with a "Capacity: N" size hint
            }
            // "base64 rank" as OpenAI publishes it, or base64 alone (the Data packages): the rank is then the next one.
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            var rank = space < 0 ? maxRank + 1 : int.Parse(line.AsSpan(space + 1), System.Globalization.CultureInfo.InvariantCulture);
            var base64 = space < 0 ? line.AsSpan() : line.AsSpan(0, space);
            if (!Convert.TryFromBase64Chars(base64, decoded, out var length) || length == 0)
            {
                throw new InvalidDataException($"Token of rank {rank} is not base64 of 1 to {decoded.Length} bytes.");
            }
            if (used + length > bytes.Length)
            {
                Array.Resize(ref bytes, bytes.Length * 2);
            }
            decoded[..length].CopyTo(bytes.AsSpan(used));
            tokens.Add((rank, used, length));
            used += length;
            maxRank = Math.Max(maxRank, rank);
        }
        if (tokens.Count == 0)
        {
            throw new InvalidDataException("The vocabulary holds no token.");
        }

        // The file lists ranks in order; laying the bytes out by rank keeps that true for any file.
        tokens.Sort(static (a, b) => a.Rank.CompareTo(b.Rank));
        var packed = new byte[used];
        var starts = new int[maxRank + 2];
        var next = 0;
        var t = 0;
        for (var rank = 0; rank <= maxRank; rank++)
        {
            starts[rank] = next;
            if (t < tokens.Count && tokens[t].Rank == rank)
            {
                bytes.AsSpan(tokens[t].Start, tokens[t].Length).CopyTo(packed.AsSpan(next));
                next += tokens[t].Length;
                t++;
            }
        }
        starts[maxRank + 1] = next;
        return new BpeVocabulary(packed, starts);
    }

    /// <summary>The rank of <paramref name="token"/>, or -1 when it is not in the vocabulary.</summary>
    public int Rank(ReadOnlySpan<byte> token)
    {
        var slot = Hash(token) & _mask;
        while (true)
        {
            var stored = _slots[slot];
            if (stored == 0)
            {
                return -1;
            }
            var rank = stored - 1;
            if (TokenBytes(rank).SequenceEqual(token))
            {
                return rank;
            }
            slot = (slot + 1) & _mask;
        }
    }

    /// <summary>The bytes of <paramref name="rank"/>.</summary>
    public ReadOnlySpan<byte> TokenBytes(int rank) => _bytes.AsSpan(_starts[rank], _starts[rank + 1] - _starts[rank]);

    /// <summary>Bytes held by the three arrays (for the footprint docs and the test that keeps it small).</summary>
    public long SizeInBytes => _bytes.Length + ((long)_starts.Length + _slots.Length) * sizeof(int);

    private void Insert(int rank)
    {
        var slot = Hash(TokenBytes(rank)) & _mask;
        while (_slots[slot] != 0)
        {
            if (TokenBytes(_slots[slot] - 1).SequenceEqual(TokenBytes(rank)))
            {
                return; // a duplicate token keeps its lowest rank, as a dictionary built in rank order would
            }
            slot = (slot + 1) & _mask;
        }
        _slots[slot] = rank + 1;
    }

    private static int Hash(ReadOnlySpan<byte> token) => (int)XxHash3.HashToUInt64(token);
}

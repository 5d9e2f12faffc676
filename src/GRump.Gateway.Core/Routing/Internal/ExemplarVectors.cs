using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using GRump.Gateway.Embeddings;

namespace GRump.Gateway.Routing.Internal;

/// <summary>
/// Sentence vectors computed ahead of time, keyed by a 128-bit hash of the classifier text: the built-in exemplars'
/// vectors ship inside the gateway (<c>Routing/Corpus/train.vectors</c>, float16) so that training the learned router at
/// start needs no sentence model — the model (~60 MB of weights at int8, more once ONNX Runtime runs it) loads only when a live
/// prompt needs its vector. A text whose hash is not here (an edited or an operator exemplar) is embedded by the model.
/// The file is regenerated with <c>GRump.Benchmarks routing-vectors</c>; a test compares it with the model so it cannot
/// go stale.
/// </summary>
internal sealed class ExemplarVectors
{
    public const string ResourceName = "GRump.Gateway.Routing.Corpus.train.vectors";

    private static readonly byte[] Magic = "GRXV"u8.ToArray();
    private const int Version = 3;
    private static readonly Lazy<ExemplarVectors> BuiltInSet = new(ReadBuiltIn);

    private readonly Dictionary<UInt128, float[]> _vectors;

    private ExemplarVectors(int dimensions, int wordPieces, LocalModelPrecision precision, int layers, Dictionary<UInt128, float[]> vectors)
    {
        Layers = layers;
        Dimensions = dimensions;
        Precision = precision;
        WordPieces = wordPieces;
        _vectors = vectors;
    }

    /// <summary>The set shipped with the gateway (the training split's vectors); empty if the resource is missing.</summary>
    public static ExemplarVectors BuiltIn => BuiltInSet.Value;

    public static ExemplarVectors Empty { get; } = new(0, 0, LocalModelPrecision.Int8, 0, []);

    public int Dimensions { get; }

    /// <summary>The word-piece cut the vectors were computed with (a vector of another cut is another vector).</summary>
    public int WordPieces { get; }

    /// <summary>The sentence model's precision the vectors were computed at (an int8 vector is not the float32 one).</summary>
    public LocalModelPrecision Precision { get; }

    /// <summary>The sentence model's layers the vectors were read after (a third-layer vector is not the sixth's).</summary>
    public int Layers { get; }

    public int Count => _vectors.Count;

    /// <summary>The key of a text: the same 128-bit hash the prompt cache uses.</summary>
    public static UInt128 Key(string text) => XxHash128.HashToUInt128(MemoryMarshal.AsBytes(text.AsSpan()));

    public bool TryGet(UInt128 key, out float[] vector) => _vectors.TryGetValue(key, out vector!);

    /// <summary>Writes <paramref name="texts"/>' vectors (float16, distinct texts once) in the format <see cref="Read"/> reads.</summary>
    public static void Write(Stream stream, IReadOnlyList<string> texts, IReadOnlyList<float[]> vectors, int wordPieces, LocalModelPrecision precision, int layers)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentNullException.ThrowIfNull(vectors);
        ArgumentOutOfRangeException.ThrowIfLessThan(layers, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(layers, LocalSentenceModel.AllLayers);
        var entries = new SortedDictionary<UInt128, float[]>();
        for (var i = 0; i < texts.Count; i++)
        {
            entries[Key(texts[i])] = vectors[i];
        }

        var dimensions = vectors.Count == 0 ? 0 : vectors[0].Length;
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        writer.Write(Magic);
        writer.Write(Version);
        writer.Write(dimensions);
        writer.Write(wordPieces);
        writer.Write((int)precision);
        writer.Write(layers);
        writer.Write(entries.Count);
        foreach (var (key, vector) in entries)
        {
            if (vector.Length != dimensions)
            {
                throw new ArgumentException("Every vector must have the same length.", nameof(vectors));
            }

            writer.Write((ulong)key);
            writer.Write((ulong)(key >> 64));
            foreach (var value in vector)
            {
                writer.Write((Half)value);
            }
        }
    }

    /// <summary>Reads a set written by <see cref="Write"/>.</summary>
    /// <exception cref="InvalidDataException">Not such a set, or cut short.</exception>
    public static ExemplarVectors Read(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        try
        {
            if (!reader.ReadBytes(Magic.Length).AsSpan().SequenceEqual(Magic) || reader.ReadInt32() != Version)
            {
                throw new InvalidDataException("Not an exemplar vector set (or another version of the format).");
            }

            var dimensions = reader.ReadInt32();
            var wordPieces = reader.ReadInt32();
            var precision = (LocalModelPrecision)reader.ReadInt32();
            var layers = reader.ReadInt32();
            var count = reader.ReadInt32();
            if (dimensions is <= 0 or > 4096 || count < 0 || count > 1_000_000 || !Enum.IsDefined(precision) || layers is < 1 or > LocalSentenceModel.AllLayers)
            {
                throw new InvalidDataException($"An exemplar vector set with {dimensions} dimensions, {count} vectors, precision {(int)precision} and {layers} layers is not plausible.");
            }

            var vectors = new Dictionary<UInt128, float[]>(count);
            var row = new byte[dimensions * 2];
            for (var i = 0; i < count; i++)
            {
                var low = reader.ReadUInt64();
                var high = reader.ReadUInt64();
                reader.BaseStream.ReadExactly(row);
                var vector = new float[dimensions];
                for (var d = 0; d < dimensions; d++)
                {
                    vector[d] = (float)BinaryPrimitives.ReadHalfLittleEndian(row.AsSpan(d * 2, 2));
                }

                vectors[new UInt128(high, low)] = vector;
            }

            return new ExemplarVectors(dimensions, wordPieces, precision, layers, vectors);
        }
        catch (EndOfStreamException exception)
        {
            throw new InvalidDataException("The exemplar vector set is cut short.", exception);
        }
    }

    private static ExemplarVectors ReadBuiltIn()
    {
        using var stream = typeof(ExemplarVectors).Assembly.GetManifestResourceStream(ResourceName);
        return stream is null ? Empty : Read(stream);
    }
}

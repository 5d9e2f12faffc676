using System.Buffers.Binary;
using System.Runtime.InteropServices;
using GRump.Gateway.Embeddings.Internal.Onnx;
using Google.Protobuf;

namespace GRump.Gateway.Embeddings.Internal;

/// <summary>
/// Dynamic int8 quantization of an ONNX model's weight matrices, done once at load: every <c>MatMul</c> whose second input
/// is a constant float matrix becomes ONNX Runtime's <c>DynamicQuantizeMatMul</c> (com.microsoft) over an int8 copy of
/// the matrix with one scale per column; activations are quantized per run by the operator itself. This is what
/// onnxruntime's <c>quantize_dynamic(..., per_channel=True, reduce_range=True)</c> produces, without Python at build
/// time or a second model file to ship. Weights are quantized to ±63 (7 bits, "reduce range"): a u8×s8 product pair
/// then never saturates the 16-bit accumulator of CPUs without VNNI. Everything else (the token-embedding table, layer
/// norms, attention softmax) stays float. Measured effect on all-MiniLM-L6-v2: docs/embeddings.md, Precision.
/// </summary>
internal static class MiniLmQuantizer
{
    private const int Float = 1;
    private const int Int8 = 3;
    private const string MicrosoftDomain = "com.microsoft";

    /// <summary>Largest quantized weight magnitude: 7 bits (see the type's remarks).</summary>
    public const int WeightRange = 63;

    /// <summary>The model with its weight matrices quantized; <paramref name="quantized"/> = MatMul nodes rewritten.</summary>
    public static byte[] Quantize(byte[] model, out int quantized)
    {
        ArgumentNullException.ThrowIfNull(model);
        var proto = ModelProto.Parser.ParseFrom(model);
        quantized = Quantize(proto);
        return proto.ToByteArray();
    }

    /// <summary>Rewrites <paramref name="proto"/> in place; returns the MatMul nodes rewritten.</summary>
    public static int Quantize(ModelProto proto)
    {
        ArgumentNullException.ThrowIfNull(proto);
        var graph = proto.Graph ?? throw new InvalidDataException("The ONNX model has no graph.");
        var initializers = new Dictionary<string, TensorProto>(StringComparer.Ordinal);
        foreach (var initializer in graph.Initializer)
        {
            initializers[initializer.Name] = initializer;
        }

        var uses = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            foreach (var input in node.Input)
            {
                uses[input] = uses.GetValueOrDefault(input) + 1;
            }
        }

        var consumers = graph.Node.SelectMany(n => n.Input.Select(input => (input, n))).ToLookup(p => p.input, p => p.n, StringComparer.Ordinal);
        var graphOutputs = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var folded = new HashSet<NodeProto>();
        var replaced = new Dictionary<string, TensorProto[]>(StringComparer.Ordinal);
        var quantized = 0;
        foreach (var node in graph.Node)
        {
            if (node.OpType != "MatMul" || !string.IsNullOrEmpty(node.Domain) || node.Input.Count != 2
                || !initializers.TryGetValue(node.Input[1], out var weight) || weight.DataType != Float || weight.Dims.Count != 2)
            {
                continue;
            }

            if (!replaced.TryGetValue(weight.Name, out var parts))
            {
                parts = QuantizeColumns(weight);
                replaced[weight.Name] = parts;
            }

            node.OpType = "DynamicQuantizeMatMul";
            node.Domain = MicrosoftDomain;
            node.Input[1] = parts[0].Name;
            node.Input.Add(parts[1].Name);
            node.Input.Add(parts[2].Name);
            uses[weight.Name]--;
            quantized++;
            if (BiasOf(node.Output[0], weight.Dims[1], consumers, initializers, graphOutputs) is var (add, bias))
            {
                // The bias Add that follows a projection goes into the operator's own bias input: one node fewer per
                // matrix (30 of MiniLM's 185 after ONNX Runtime's fusions), and the output is written once, not twice.
                node.Input.Add(bias);
                node.Output[0] = add.Output[0];
                folded.Add(add);
            }
        }

        for (var i = graph.Node.Count - 1; i >= 0; i--)
        {
            if (folded.Contains(graph.Node[i]))
            {
                graph.Node.RemoveAt(i);
            }
        }

        // The float matrices nothing reads any more are dropped; the int8 copies and their scales join the initializers.
        for (var i = graph.Initializer.Count - 1; i >= 0; i--)
        {
            var name = graph.Initializer[i].Name;
            if (replaced.ContainsKey(name) && uses.GetValueOrDefault(name) == 0)
            {
                graph.Initializer.RemoveAt(i);
            }
        }

        foreach (var parts in replaced.Values)
        {
            graph.Initializer.Add(parts);
        }

        if (!proto.OpsetImport.Any(o => o.Domain == MicrosoftDomain))
        {
            proto.OpsetImport.Add(new OperatorSetIdProto { Domain = MicrosoftDomain, Version = 1 });
        }

        return quantized;
    }

    /// <summary>The only reader of <paramref name="output"/> when it is an <c>Add</c> of a constant float vector of <paramref name="columns"/> (a bias).</summary>
    private static (NodeProto Add, string Bias)? BiasOf(string output, long columns, ILookup<string, NodeProto> consumers, Dictionary<string, TensorProto> initializers,
        HashSet<string> graphOutputs)
    {
        if (graphOutputs.Contains(output) || consumers[output].ToArray() is not [{ OpType: "Add", Input.Count: 2 } add] || !string.IsNullOrEmpty(add.Domain))
        {
            return null;
        }

        // A bias whose sum goes into GELU (x·½·(1 + erf(x/√2)): a Div, an Erf or a Mul reads it) stays an Add: ONNX
        // Runtime fuses that Add with the GELU into one BiasGelu pass over the widest tensor (1,536 columns).
        if (consumers[add.Output[0]].Any(n => n.OpType is "Div" or "Erf" or "Mul" or "Gelu"))
        {
            return null;
        }

        var other = add.Input[0] == output ? add.Input[1] : add.Input[0];
        return initializers.TryGetValue(other, out var bias) && bias.DataType == Float && bias.Dims.Count == 1 && bias.Dims[0] == columns
            ? (add, other)
            : null;
    }

    /// <summary>[K, N] floats → int8 [K, N], one float scale per column [N], int8 zero points [N] (all 0: symmetric).</summary>
    private static TensorProto[] QuantizeColumns(TensorProto weight)
    {
        var rows = checked((int)weight.Dims[0]);
        var columns = checked((int)weight.Dims[1]);
        var values = Floats(weight, rows * columns);
        var scales = new float[columns];
        for (var k = 0; k < rows; k++)
        {
            for (var n = 0; n < columns; n++)
            {
                scales[n] = Math.Max(scales[n], Math.Abs(values[k * columns + n]));
            }
        }

        for (var n = 0; n < columns; n++)
        {
            scales[n] = scales[n] > 0 ? scales[n] / WeightRange : 1f;
        }

        var q = new byte[rows * columns];
        for (var k = 0; k < rows; k++)
        {
            for (var n = 0; n < columns; n++)
            {
                var v = Math.Clamp(MathF.Round(values[k * columns + n] / scales[n], MidpointRounding.ToEven), -WeightRange, WeightRange);
                q[k * columns + n] = unchecked((byte)(sbyte)v);
            }
        }

        var scaleBytes = new byte[columns * sizeof(float)];
        MemoryMarshal.AsBytes(scales.AsSpan()).CopyTo(scaleBytes);
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("ONNX raw tensor data is little-endian.");
        }

        return
        [
            new TensorProto { Name = weight.Name + "_int8", DataType = Int8, Dims = { rows, columns }, RawData = ByteString.CopyFrom(q) },
            new TensorProto { Name = weight.Name + "_scale", DataType = Float, Dims = { columns }, RawData = ByteString.CopyFrom(scaleBytes) },
            new TensorProto { Name = weight.Name + "_zero", DataType = Int8, Dims = { columns }, RawData = ByteString.CopyFrom(new byte[columns]) },
        ];
    }

    private static float[] Floats(TensorProto tensor, int count)
    {
        if (tensor.FloatData.Count == count)
        {
            return [.. tensor.FloatData];
        }

        var raw = tensor.RawData.Span;
        if (raw.Length != count * sizeof(float))
        {
            throw new InvalidDataException($"Tensor {tensor.Name} holds {raw.Length} bytes for {count} floats.");
        }

        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(raw.Slice(i * sizeof(float)));
        }

        return values;
    }
}

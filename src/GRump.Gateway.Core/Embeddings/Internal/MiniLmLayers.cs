using Google.Protobuf;
using GRump.Gateway.Embeddings.Internal.Onnx;

namespace GRump.Gateway.Embeddings.Internal;

/// <summary>
/// The first layers of a BERT-style ONNX export (all-MiniLM-L6-v2 has <see cref="MiniLmModel.Layers"/>): the hidden state
/// after layer N becomes the graph's only output, and every node and weight that does not lead to it is dropped, so ONNX
/// Runtime runs N layers, not all of them (asking a full graph for an inner output still runs every node). Mean-pooled,
/// an inner layer's hidden state is a sentence vector of its own, not the model's trained output: the learned router reads
/// the second layer's over a shorter cut of the ask, which routed better in cross-validation than the whole model over
/// 64 pieces, at a third of the cost (docs/routing.md, The encoder).
/// A layer's input is found by its weights' names (<c>encoder.layer.N.attention.self.query.bias</c>, the
/// Hugging Face export's), so another export fails loudly rather than being cut in the wrong place. It assumes an export
/// whose weights are initializers, not graph inputs (IR 4+), and no subgraphs (MiniLM has neither).
/// </summary>
internal static class MiniLmLayers
{
    /// <summary>The model cut after <paramref name="layers"/> layers (1 to all); all of them = the model unchanged.</summary>
    /// <exception cref="InvalidDataException">The graph does not have the layers this reads (another architecture or export).</exception>
    public static byte[] Keep(byte[] model, int layers)
    {
        ArgumentNullException.ThrowIfNull(model);
        var proto = ModelProto.Parser.ParseFrom(model);
        return Keep(proto, layers) ? proto.ToByteArray() : model;
    }

    /// <summary>Cuts <paramref name="proto"/> in place after <paramref name="layers"/> layers; false when that is all of them (nothing changed).</summary>
    public static bool Keep(ModelProto proto, int layers)
    {
        ArgumentNullException.ThrowIfNull(proto);
        ArgumentOutOfRangeException.ThrowIfLessThan(layers, 1);
        var graph = proto.Graph ?? throw new InvalidDataException("The ONNX model has no graph.");
        var total = Count(graph);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(layers, total);
        if (layers == total)
        {
            return false;
        }

        var hidden = InputOf(graph, layers);
        graph.Output.Clear();
        graph.Output.Add(new ValueInfoProto { Name = hidden });
        Prune(graph, hidden);
        return true;
    }

    /// <summary>Transformer layers in the graph (query biases named <c>encoder.layer.N…</c>).</summary>
    public static int Count(byte[] model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Count(ModelProto.Parser.ParseFrom(model).Graph ?? throw new InvalidDataException("The ONNX model has no graph."));
    }

    private static int Count(GraphProto graph)
    {
        var layers = 0;
        while (graph.Initializer.Any(i => i.Name == QueryBias(layers)))
        {
            layers++;
        }

        return layers > 0 ? layers : throw new InvalidDataException("The ONNX model has no BERT encoder layers (no encoder.layer.0.attention.self.query.bias).");
    }

    private static string QueryBias(int layer) => $"encoder.layer.{layer}.attention.self.query.bias";

    /// <summary>The tensor layer <paramref name="layer"/> reads: what its query projection (MatMul, then the bias Add) multiplies.</summary>
    private static string InputOf(GraphProto graph, int layer)
    {
        var bias = QueryBias(layer);
        var add = graph.Node.Where(n => n.OpType == "Add" && n.Input.Contains(bias)).ToList() is [var onlyAdd]
            ? onlyAdd
            : throw new InvalidDataException($"No single Add reads {bias}.");
        var projected = add.Input[0] == bias ? add.Input[1] : add.Input[0];
        var matMul = graph.Node.Where(n => n.OpType == "MatMul" && n.Output.Contains(projected)).ToList() is [var onlyMatMul]
            ? onlyMatMul
            : throw new InvalidDataException($"No single MatMul produces the input of the Add that reads {bias}.");
        return matMul.Input[0];
    }

    /// <summary>Drops every node and initializer that <paramref name="output"/> does not depend on.</summary>
    private static void Prune(GraphProto graph, string output)
    {
        var producers = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            foreach (var produced in node.Output)
            {
                producers[produced] = node;
            }
        }

        var needed = new HashSet<string>(StringComparer.Ordinal);
        var live = new HashSet<NodeProto>();
        var pending = new Stack<string>([output]);
        while (pending.TryPop(out var tensor))
        {
            if (needed.Add(tensor) && producers.TryGetValue(tensor, out var node) && live.Add(node))
            {
                foreach (var input in node.Input)
                {
                    pending.Push(input);
                }
            }
        }

        for (var i = graph.Node.Count - 1; i >= 0; i--)
        {
            if (!live.Contains(graph.Node[i]))
            {
                graph.Node.RemoveAt(i);
            }
        }

        for (var i = graph.Initializer.Count - 1; i >= 0; i--)
        {
            if (!needed.Contains(graph.Initializer[i].Name))
            {
                graph.Initializer.RemoveAt(i);
            }
        }
    }
}

using System.Globalization;
using GRump.Gateway.Routing;
using GRump.Gateway.Routing.Internal;

namespace GRump.Benchmarks.Routing;

/// <summary>
/// Writes the built-in exemplars' precomputed sentence vectors (<c>src/GRump.Gateway.Core/Routing/Corpus/train.vectors</c>)
/// from <c>train.jsonl</c> through the real model, so the gateway trains its learned router without loading the model.
/// Run after editing <c>train.jsonl</c> (a test fails until then):
/// <c>dotnet run -c Release --project loadtests/GRump.Benchmarks -- routing-vectors [--corpus DIR]</c>.
/// </summary>
internal static class ExemplarVectorWriter
{
    public static int Run(IReadOnlyList<string> args, TextWriter output)
    {
        string? corpusArgument = null;
        if (args is ["--corpus", var dir])
        {
            corpusArgument = dir;
        }
        else if (args.Count > 0)
        {
            output.WriteLine("usage: GRump.Benchmarks routing-vectors [--corpus DIR]");
            return 2;
        }

        var corpus = RoutingSetup.CorpusDirectory(corpusArgument);
        var texts = RoutingCorpus.ReadFile(Path.Combine(corpus, "train.jsonl")).Select(e => e.ClassifierPrompt.Text).ToArray();
        using var model = RoutingSetup.SentenceModel();
        // Nothing precomputed: every vector comes from the model as it is now.
        var embedder = new PromptEmbedder(model, cacheEntries: 0, precomputed: ExemplarVectors.Empty);
        var vectors = embedder.EmbedMany(texts);
        var path = Path.Combine(corpus, "train.vectors");
        using (var file = File.Create(path))
        {
            ExemplarVectors.Write(file, texts, vectors, embedder.WordPieces, model.Precision, model.Layers);
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"routing-vectors: {texts.Length} exemplars, {texts.Distinct(StringComparer.Ordinal).Count()} distinct asks, {embedder.WordPieces} word pieces, layer {model.Layers} → {path} ({new FileInfo(path).Length:N0} bytes)"));
        return 0;
    }
}

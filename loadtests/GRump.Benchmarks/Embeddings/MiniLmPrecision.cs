using System.Diagnostics;
using System.Globalization;
using GRump.Benchmarks.Routing;
using GRump.Gateway.Embeddings;
using GRump.Gateway.Embeddings.Internal;
using GRump.Gateway.Routing;
using GRump.Gateway.Routing.Internal;

namespace GRump.Benchmarks.Embeddings;

/// <summary>
/// float32 against int8 MiniLM on the routing corpus's asks, one ask per run as the router embeds them: time per run
/// (p50/p99), how far the int8 vectors are from the float ones (cosine), and texts per second in a 256-text batch; then
/// the router's encoder (int8, cut after <c>Routing:EncoderLayers</c>), whose vectors are another layer's (no cosine).
/// <c>dotnet run -c Release --project loadtests/GRump.Benchmarks -- minilm-precision [--corpus DIR] [--rounds N] [--word-pieces N]</c>.
/// </summary>
internal static class MiniLmPrecision
{
    private static readonly string[] Splits = ["train.jsonl", "holdout.jsonl"];

    public static int Run(IReadOnlyList<string> args, TextWriter output)
    {
        string? Option(string name) => args.ToList().IndexOf(name) is var i and >= 0 && i + 1 < args.Count ? args[i + 1] : null;
        var rounds = int.Parse(Option("--rounds") ?? "3", CultureInfo.InvariantCulture);
        var corpus = RoutingSetup.CorpusDirectory(Option("--corpus"));
        var texts = Splits
            .SelectMany(f => RoutingCorpus.ReadFile(Path.Combine(corpus, f)))
            .Select(e => e.ClassifierPrompt.Text).Distinct(StringComparer.Ordinal).ToArray();
        var pieces = Option("--word-pieces") is { } w ? int.Parse(w, CultureInfo.InvariantCulture) : PromptEmbedder.DefaultWordPieces;
        (LocalModelPrecision Precision, int Layers)[] variants =
        [
            (LocalModelPrecision.Float32, MiniLmModel.Layers),
            (LocalModelPrecision.Int8, MiniLmModel.Layers),
            (LocalModelPrecision.Int8, RoutingStrategyOptions.DefaultEncoderLayers),
        ];
        float[][]? reference = null;
        foreach (var (precision, layers) in variants)
        {
            var name = string.Create(CultureInfo.InvariantCulture, $"{precision}/{layers}L");
            var load = Stopwatch.StartNew();
            using var model = MiniLmModel.Load(precision, layers);
            var loadMs = load.Elapsed.TotalMilliseconds;
            var vectors = texts.Select(t => model.Embed([t], out _, pieces)[0]).ToArray(); // warm-up and vectors
            var times = new List<double>(texts.Length * rounds);
            var byLength = new SortedDictionary<int, List<double>>();
            for (var round = 0; round < rounds; round++)
            {
                foreach (var text in texts)
                {
                    var started = Stopwatch.GetTimestamp();
                    model.Embed([text], out var tokens, pieces);
                    var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                    times.Add(ms);
                    var bucket = tokens <= 8 ? 8 : tokens <= 16 ? 16 : tokens <= 24 ? 24 : tokens <= 32 ? 32 : tokens <= 48 ? 48 : 64;
                    (byLength.TryGetValue(bucket, out var list) ? list : byLength[bucket] = []).Add(ms);
                }
            }

            times.Sort();
            output.WriteLine($"{name}: p50 ms per run by word pieces (asks): " + string.Join("  ", byLength.Select(b =>
                string.Create(CultureInfo.InvariantCulture, $"≤{b.Key}: {b.Value.Order().ElementAt(b.Value.Count / 2):F2} ({b.Value.Count / rounds})"))));
            // The local provider's case: a coalesced batch of 256 texts (int8 runs them one by one, float32 in chunks of 32).
            var batch = Enumerable.Range(0, 256).Select(i => texts[i % texts.Length]).ToArray();
            var batchStarted = Stopwatch.GetTimestamp();
            model.Embed(batch, out _);
            var batchRate = batch.Length / Stopwatch.GetElapsedTime(batchStarted).TotalSeconds;
            reference ??= vectors;
            var cosines = layers == MiniLmModel.Layers ? vectors.Select((v, i) => Dot(v, reference[i])).Order().ToArray() : [float.NaN];
            var rss = Process.GetCurrentProcess().WorkingSet64 / (1024 * 1024);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-10} load {loadMs,6:F0} ms  run p50 {times[times.Count / 2],6:F2} ms  p90 {times[times.Count * 9 / 10],6:F2}  p99 {times[times.Count * 99 / 100],6:F2}  max {times[^1],6:F2}  cos vs float32: min {cosines[0]:F4} p1 {cosines[cosines.Length / 100]:F4} mean {cosines.Average():F4}  256-text batch (256 pieces max) {batchRate,5:F0} texts/s  rss {rss} MB"));
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{texts.Length} distinct asks, {pieces} word pieces, {rounds} rounds, one ask per run"));
        return 0;
    }

    private static float Dot(float[] a, float[] b)
    {
        var sum = 0f;
        for (var i = 0; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }
}

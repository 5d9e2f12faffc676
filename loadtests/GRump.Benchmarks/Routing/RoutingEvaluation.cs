using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using GRump.Gateway.Embeddings;
using GRump.Gateway.Intent;
using GRump.Gateway.Routing;
using GRump.Gateway.Routing.Internal;
using GRump.Gateway.Chat;

namespace GRump.Benchmarks.Routing;

/// <summary>
/// The offline routing evaluation: routes the labelled corpus with each strategy through the real <see cref="ModelRouter"/>
/// (default registry, NIM and Anthropic configured) and reports the confusion matrix, the complex→cheap and
/// simple→premium rates, medium accuracy, the routed cost against all-premium and the decision time. With
/// <c>--gate</c> it fails (exit 1) when the shipped default strategy breaks a rate threshold — rates only, never timings.
/// Run: <c>dotnet run -c Release --project loadtests/GRump.Benchmarks -- routing-eval</c> (see <see cref="Usage"/>).
/// </summary>
internal static class RoutingEvaluation
{
    public const string Usage = """
        usage: GRump.Benchmarks routing-eval [--split holdout|train] [--strategy all|heuristic|embedding|hybrid[,...]]
                                             [--corpus DIR] [--complex-probability X] [--embed-above X] [--exemplar-match X]
                                             [--l2 S,E] [--output-tokens S,M,C] [--word-pieces N] [--layers N]
                                             [--sweep] [--errors] [--markdown]
                                             [--gate] [--max-complex-to-cheap N] [--min-simple-to-cheap X]
          holdout (default): the router as shipped (the built-in training exemplars) on the holdout.
          train: 5-fold cross-validation on the training split; folds by group, each routed by an index of the other four.
          --output-tokens: output tokens assumed per label for the cost (default 200,600,1500); the same for every model.
          --layers: the sentence model's layers the router reads (1-6; default the shipped Routing:EncoderLayers). Another
                  layer than the shipped vectors' embeds every exemplar with the model.
          --word-pieces: the cut of the ask the sentence model reads (3-256; default the shipped one). Another cut than the
                  shipped vectors' embeds every exemplar with the model.
          --complex-probability, --embed-above, --exemplar-match: override the Routing:* defaults; --l2: the surface and
                  the embedding model's penalties (default the shipped ones).
          --sweep: the cost-quality frontier of the learned strategies over the complex threshold and hybrid's embed-above.
          --errors: list every prompt routed to another tier than its label.
          --gate: exit 1 when the default strategy has more than --max-complex-to-cheap (default 0) complex prompts on a
                  cheap model or a simple→cheap rate below --min-simple-to-cheap (default 0.9). Timings are never gated.
          Exit codes: 0 passed, 1 a gate failed, 2 bad arguments.
        """;

    private const int Folds = 5;

    public static int Run(IReadOnlyList<string> args, TextWriter output)
    {
        if (!EvalOptions.TryParse(args, out var options, out var error))
        {
            output.WriteLine(error);
            output.WriteLine(Usage);
            return 2;
        }

        if (options.Help)
        {
            output.WriteLine(Usage);
            return 0;
        }

        var defaults = new RoutingStrategyOptions();
        var defaultStrategy = RoutingStrategies.Parse(defaults.Strategy);
        var settings = new ClassifierSettings(
            (float)(options.ComplexProbability ?? defaults.ComplexProbability),
            (float)(options.EmbedAbove ?? defaults.EmbedAbove),
            (float)(options.ExemplarMatch ?? defaults.ExemplarMatch));
        var l2 = options.L2 ?? [TierModels.SurfaceL2, TierModels.SemanticL2];
        var strategies = options.Strategies;
        if (options.Gate && !strategies.Contains(defaultStrategy))
        {
            strategies = [.. strategies, defaultStrategy];
        }

        var corpus = RoutingSetup.CorpusDirectory(options.CorpusDirectory);
        var train = RoutingCorpus.ReadFile(Path.Combine(corpus, "train.jsonl"));
        var holdout = RoutingCorpus.ReadFile(Path.Combine(corpus, "holdout.jsonl"));
        using var model = RoutingSetup.SentenceModel(options.Layers);
        model.EnsureLoaded();
        // No prompt cache while measuring: every prompt is new to the router, so the time is the embedding's real cost.
        var embedder = new PromptEmbedder(model, cacheEntries: options.Sweep ? 100_000 : 0, options.WordPieces);
        var compiler = new IntentCompiler();

        var started = Stopwatch.GetTimestamp();
        // Exactly what the gateway trains on for the holdout: the shipped training split, through the same code.
        var examples = TierClassifier.Examples(embedder, options.Split == "train" ? train : RoutingCorpus.BuiltInTraining(), compiler);
        var embedded = Stopwatch.GetElapsedTime(started);
        var split = options.Split == "train" ? Split.CrossValidation(train) : Split.Holdout(examples.Count, holdout);
        var title = options.Split == "train"
            ? string.Create(CultureInfo.InvariantCulture, $"{Folds}-fold cross-validation on the training split")
            : "holdout, models trained on the shipped training split";
        var folds = split.Train(examples, l2);
        var items = folds.Sum(f => f.Items.Count);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"routing-eval: {title}; {items} prompts ({Count(folds, ComplexityTier.Simple)} simple, {Count(folds, ComplexityTier.Medium)} medium, {Count(folds, ComplexityTier.Complex)} complex); " +
            $"complex from P ≥ {settings.ComplexProbability:0.00}, hybrid embeds from P ≥ {settings.EmbedAbove:0.00}, exemplar match ≥ {settings.ExemplarMatch:0.00}, L2 {l2[0]}/{l2[1]}; " +
            $"word pieces {embedder.WordPieces}, layer {model.Layers}; {examples.Count} exemplars ({embedder.Precomputed} vectors precomputed) embedded in {embedded.TotalSeconds:0.0} s, trained in {(Stopwatch.GetElapsedTime(started) - embedded).TotalSeconds:0.0} s"));

        if (options.Sweep)
        {
            Sweep(output, options, folds, embedder, compiler);
            return 0;
        }

        Warm(folds, embedder, compiler, settings);
        var results = new List<StrategyResult>();
        foreach (var strategy in strategies)
        {
            var result = Evaluate(strategy, folds, embedder, compiler, settings, options.OutputTokens);
            results.Add(result);
            Print(output, result, options);
        }

        PrintSummary(output, results, options);
        if (!options.Gate)
        {
            return 0;
        }

        var gated = results.First(r => r.Strategy == defaultStrategy);
        var failures = new List<string>();
        if (gated.ComplexToCheap > options.MaxComplexToCheap)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"complex→cheap {gated.ComplexToCheap} > {options.MaxComplexToCheap}"));
        }

        if (gated.SimpleToCheapRate < options.MinSimpleToCheap)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"simple→cheap {gated.SimpleToCheapRate:P1} < {options.MinSimpleToCheap:P1}"));
        }

        var name = RoutingStrategies.Name(defaultStrategy);
        output.WriteLine(failures.Count == 0
            ? string.Create(CultureInfo.InvariantCulture, $"gate passed: {name} (the default strategy) complex→cheap {gated.ComplexToCheap} ≤ {options.MaxComplexToCheap}, simple→cheap {gated.SimpleToCheapRate:P1} ≥ {options.MinSimpleToCheap:P1}")
            : $"gate FAILED: {name} (the default strategy): {string.Join("; ", failures)}");
        return failures.Count == 0 ? 0 : 1;
    }

    /// <summary>Routes every prompt of every fold with <paramref name="strategy"/> and tallies the outcome.</summary>
    private static StrategyResult Evaluate(RoutingStrategy strategy, List<Fold> folds, PromptEmbedder embedder, IIntentCompiler compiler, ClassifierSettings settings, int[] outputTokens)
    {
        var result = new StrategyResult(strategy, outputTokens);
        foreach (var fold in folds)
        {
            var router = RoutingSetup.Router(strategy, new TierClassifier(embedder, fold.Models, settings), compiler);
            foreach (var exemplar in fold.Items)
            {
                var request = Request(exemplar);
                var intent = compiler.Compile(ComplexityAnalyzer.TaskText(request));
                var lookups = embedder.Lookups;
                var start = Stopwatch.GetTimestamp();
                var routed = router.Analyze(request, intent);
                var elapsed = Stopwatch.GetElapsedTime(start);
                result.Add(exemplar, routed, router.PremiumModel, elapsed, embedded: embedder.Lookups > lookups);
            }
        }

        return result;
    }

    /// <summary>JIT and ONNX Runtime warm-up on training prompts (not measured), so the first measured decision is not charged for it.</summary>
    private static void Warm(List<Fold> folds, PromptEmbedder embedder, IIntentCompiler compiler, ClassifierSettings settings)
    {
        foreach (var strategy in RoutingStrategies.Names.Select(RoutingStrategies.Parse))
        {
            var router = RoutingSetup.Router(strategy, new TierClassifier(embedder, folds[0].Models, settings), compiler);
            foreach (var exemplar in RoutingCorpus.BuiltInTraining().Take(20))
            {
                router.Analyze(Request(exemplar));
            }
        }
    }

    private static void Sweep(TextWriter output, EvalOptions options, List<Fold> folds, PromptEmbedder embedder, IIntentCompiler compiler)
    {
        var table = new Table("strategy", "complex from", "embed from", "complex→cheap", "simple→cheap", "simple→premium", "medium acc.", "medium→premium", "tier acc.", "cost vs premium", "embedded");
        var noMatch = 1.01f;
        table.Add(Row(Evaluate(RoutingStrategy.Heuristic, folds, embedder, compiler, new ClassifierSettings(0.3f, 0, noMatch), options.OutputTokens), "-", "-"));
        foreach (var complexFrom in new[] { 0.15f, 0.2f, 0.25f, 0.3f, 0.35f, 0.4f, 0.5f })
        {
            var from = complexFrom.ToString("0.00", CultureInfo.InvariantCulture);
            table.Add(Row(Evaluate(RoutingStrategy.Embedding, folds, embedder, compiler, new ClassifierSettings(complexFrom, 0, noMatch), options.OutputTokens), from, "-"));
            foreach (var embedFrom in new[] { 0f, 0.02f, 0.05f, 0.1f })
            {
                var result = Evaluate(RoutingStrategy.Hybrid, folds, embedder, compiler, new ClassifierSettings(complexFrom, embedFrom, noMatch), options.OutputTokens);
                table.Add(Row(result, from, embedFrom.ToString("0.00", CultureInfo.InvariantCulture)));
            }
        }

        table.Write(output, options.Markdown);

        static string[] Row(StrategyResult r, string complexFrom, string embedFrom) =>
        [
            RoutingStrategies.Name(r.Strategy), complexFrom, embedFrom,
            Fraction(r.ComplexToCheap, r.Labelled(ComplexityTier.Complex)), Percent(r.SimpleToCheapRate), Percent(r.Rate(ComplexityTier.Simple, premium: true)),
            Percent(r.Accuracy(ComplexityTier.Medium)), Percent(r.Rate(ComplexityTier.Medium, premium: true)), Percent(r.TierAccuracy), Percent(r.CostRatio),
            Percent(r.Total == 0 ? 0 : (double)r.Embedded / r.Total),
        ];
    }

    private static ChatRequest Request(RoutingExemplar exemplar) => new() { Messages = exemplar.Messages };

    private static int Count(List<Fold> folds, ComplexityTier tier) => folds.Sum(f => f.Items.Count(e => e.Tier == tier));

    private static void Print(TextWriter output, StrategyResult r, EvalOptions options)
    {
        output.WriteLine();
        output.WriteLine(options.Markdown ? $"### {RoutingStrategies.Name(r.Strategy)}" : $"== {RoutingStrategies.Name(r.Strategy)} ==");
        output.WriteLine();
        var matrix = new Table("label \\ routed", "simple", "medium", "complex", "cheap model", "premium model");
        foreach (var label in new[] { ComplexityTier.Simple, ComplexityTier.Medium, ComplexityTier.Complex })
        {
            matrix.Add(ComplexityTiers.Name(label), N(r.Confusion[(int)label, 0]), N(r.Confusion[(int)label, 1]), N(r.Confusion[(int)label, 2]),
                N(r.Cheap[(int)label]), N(r.Labelled(label) - r.Cheap[(int)label]));
        }

        matrix.Write(output, options.Markdown);
        output.WriteLine();
        var lines = new Table("measure", "value") { AlignNumbers = false };
        lines.Add("complex → cheap model", Fraction(r.ComplexToCheap, r.Labelled(ComplexityTier.Complex)));
        lines.Add("simple → cheap model", Fraction(r.Cheap[0], r.Labelled(ComplexityTier.Simple)));
        lines.Add("simple → premium model", Fraction(r.Labelled(ComplexityTier.Simple) - r.Cheap[0], r.Labelled(ComplexityTier.Simple)));
        lines.Add("medium → medium tier (accuracy)", Fraction(r.Confusion[1, 1], r.Labelled(ComplexityTier.Medium)));
        lines.Add("medium → premium model", Fraction(r.Labelled(ComplexityTier.Medium) - r.Cheap[1], r.Labelled(ComplexityTier.Medium)));
        lines.Add("tier accuracy", Fraction(r.Correct, r.Total));
        lines.Add("routed cost vs all-premium", string.Create(CultureInfo.InvariantCulture,
            $"${r.RoutedCost:0.0000} vs ${r.PremiumCost:0.0000} = {r.CostRatio:P1} (output tokens assumed {string.Join("/", r.OutputTokens)} for simple/medium/complex)"));
        lines.Add("embedding consulted", Fraction(r.Embedded, r.Total));
        lines.Add("decision time (not gated)", r.Latency());
        lines.Write(output, options.Markdown);

        if (options.Errors && r.Misroutes.Count > 0)
        {
            output.WriteLine();
            var errors = new Table("id", "label", "routed", "model", "score", "tags", "task") { AlignNumbers = false };
            foreach (var miss in r.Misroutes.OrderByDescending(m => m.Label).ThenBy(m => m.Routed))
            {
                errors.Add(miss.Id, ComplexityTiers.Name(miss.Label), ComplexityTiers.Name(miss.Routed), miss.Cheap ? "cheap" : "premium", N(miss.Score), miss.Tags, miss.Excerpt);
            }

            errors.Write(output, options.Markdown);
        }
    }

    private static void PrintSummary(TextWriter output, List<StrategyResult> results, EvalOptions options)
    {
        output.WriteLine();
        output.WriteLine(options.Markdown ? "### Summary" : "== summary ==");
        output.WriteLine();
        var table = new Table("strategy", "complex→cheap", "simple→cheap", "simple→premium", "medium accuracy", "medium→premium", "tier accuracy", "cost vs all-premium", "p50", "p99");
        foreach (var r in results)
        {
            table.Add(RoutingStrategies.Name(r.Strategy), Fraction(r.ComplexToCheap, r.Labelled(ComplexityTier.Complex)), Percent(r.SimpleToCheapRate),
                Percent(r.Rate(ComplexityTier.Simple, premium: true)), Percent(r.Accuracy(ComplexityTier.Medium)), Percent(r.Rate(ComplexityTier.Medium, premium: true)),
                Percent(r.TierAccuracy), Percent(r.CostRatio), Ms(r.Percentile(0.50)), Ms(r.Percentile(0.99)));
        }

        table.Write(output, options.Markdown);
    }

    private static string N(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Fraction(int part, int whole) =>
        string.Create(CultureInfo.InvariantCulture, $"{part} / {whole} ({(whole == 0 ? 0 : (double)part / whole):P1})");

    private static string Percent(double value) => value.ToString("P1", CultureInfo.InvariantCulture);

    internal static string Ms(TimeSpan value) => string.Create(CultureInfo.InvariantCulture, $"{value.TotalMilliseconds:0.000} ms");

    private sealed record Fold(TierModels Models, IReadOnlyList<RoutingExemplar> Items);

    /// <summary>Which examples train the models that route which prompts: the holdout, or the cross-validation folds of the training split.</summary>
    private sealed class Split
    {
        private readonly List<(int[] TrainOn, IReadOnlyList<RoutingExemplar> Items)> _folds = [];

        public static Split Holdout(int examples, IReadOnlyList<RoutingExemplar> holdout)
        {
            var split = new Split();
            split._folds.Add((Enumerable.Range(0, examples).ToArray(), holdout));
            return split;
        }

        /// <summary>Folds by a hash of the group (as the corpus split is), so a shared paste never sits on both sides.</summary>
        public static Split CrossValidation(IReadOnlyList<RoutingExemplar> train)
        {
            var fold = train.Select(e => SHA256.HashData(Encoding.UTF8.GetBytes("grump-routing-fold:" + e.Group))[0] % Folds).ToArray();
            var split = new Split();
            for (var f = 0; f < Folds; f++)
            {
                var trainOn = Enumerable.Range(0, train.Count).Where(i => fold[i] != f).ToArray();
                split._folds.Add((trainOn, Enumerable.Range(0, train.Count).Where(i => fold[i] == f).Select(i => train[i]).ToArray()));
            }

            return split;
        }

        public List<Fold> Train(List<TrainingExample> examples, float[] l2) =>
            _folds.Select(f => new Fold(TierModels.Train(f.TrainOn.Select(i => examples[i]).ToArray(), l2[0], l2[1]), f.Items)).ToList();
    }

    private sealed record Misroute(string Id, ComplexityTier Label, ComplexityTier Routed, bool Cheap, int Score, string Tags, string Excerpt);

    /// <summary>The tallies of one strategy over the evaluated prompts.</summary>
    private sealed class StrategyResult(RoutingStrategy strategy, int[] outputTokens)
    {
        private readonly List<double> _milliseconds = [];

        public RoutingStrategy Strategy { get; } = strategy;

        public int[] OutputTokens { get; } = outputTokens;

        /// <summary>[label, routed tier].</summary>
        public int[,] Confusion { get; } = new int[ComplexityTiers.Count, ComplexityTiers.Count];

        /// <summary>Prompts of each label routed to a model other than the premium one.</summary>
        public int[] Cheap { get; } = new int[ComplexityTiers.Count];

        public List<Misroute> Misroutes { get; } = [];

        public int Total { get; private set; }

        public int Correct { get; private set; }

        public int Embedded { get; private set; }

        public double RoutedCost { get; private set; }

        public double PremiumCost { get; private set; }

        public int ComplexToCheap => Cheap[(int)ComplexityTier.Complex];

        public double SimpleToCheapRate => Rate(ComplexityTier.Simple, premium: false);

        public double TierAccuracy => Total == 0 ? 0 : (double)Correct / Total;

        public double CostRatio => PremiumCost == 0 ? 0 : RoutedCost / PremiumCost;

        public int Labelled(ComplexityTier label) => Confusion[(int)label, 0] + Confusion[(int)label, 1] + Confusion[(int)label, 2];

        public double Accuracy(ComplexityTier label) => Labelled(label) == 0 ? 0 : (double)Confusion[(int)label, (int)label] / Labelled(label);

        public double Rate(ComplexityTier label, bool premium)
        {
            var all = Labelled(label);
            var cheap = Cheap[(int)label];
            return all == 0 ? 0 : (double)(premium ? all - cheap : cheap) / all;
        }

        public void Add(RoutingExemplar exemplar, RoutingResult routed, ModelDefinition premium, TimeSpan elapsed, bool embedded)
        {
            var tier = routed.Decision.Tier;
            var cheap = !string.Equals(routed.Model.Id, premium.Id, StringComparison.Ordinal);
            Confusion[(int)exemplar.Tier, (int)tier]++;
            if (cheap)
            {
                Cheap[(int)exemplar.Tier]++;
            }

            Total++;
            if (tier == exemplar.Tier)
            {
                Correct++;
            }
            else
            {
                var task = ComplexityAnalyzer.TaskText(Request(exemplar)).ReplaceLineEndings(" ");
                Misroutes.Add(new Misroute(exemplar.Id, exemplar.Tier, tier, cheap, routed.Decision.Score, string.Join(",", exemplar.Tags),
                    task.Length > 90 ? task[..90] + "…" : task));
            }

            if (embedded)
            {
                Embedded++;
            }

            var output = OutputTokens[(int)exemplar.Tier];
            RoutedCost += routed.Model.Cost(routed.InputTokens, output);
            PremiumCost += premium.Cost(routed.InputTokens, output);
            _milliseconds.Add(elapsed.TotalMilliseconds);
        }

        public TimeSpan Percentile(double p)
        {
            if (_milliseconds.Count == 0)
            {
                return TimeSpan.Zero;
            }

            var sorted = _milliseconds.Order().ToArray();
            var rank = (int)Math.Ceiling(p * sorted.Length) - 1;
            return TimeSpan.FromMilliseconds(sorted[Math.Clamp(rank, 0, sorted.Length - 1)]);
        }

        public string Latency() => string.Create(CultureInfo.InvariantCulture,
            $"p50 {Ms(Percentile(0.5))}, p90 {Ms(Percentile(0.9))}, p99 {Ms(Percentile(0.99))}, max {Ms(Percentile(1))} over {Total} decisions (Stopwatch; BenchmarkDotNet has the reference numbers)");
    }

    /// <summary>Rows printed as aligned text or as a Markdown table.</summary>
    private sealed class Table(params string[] header)
    {
        private readonly List<string[]> _rows = [];

        public int Count => _rows.Count;

        /// <summary>Right-align cells that start with a number (false: every cell left-aligned).</summary>
        public bool AlignNumbers { get; init; } = true;

        public void Add(params string[] row) => _rows.Add(row);

        public void Write(TextWriter output, bool markdown)
        {
            if (markdown)
            {
                output.WriteLine("| " + string.Join(" | ", header) + " |");
                output.WriteLine("|" + string.Concat(header.Select((_, i) => i == 0 ? "---|" : "---:|")));
                foreach (var row in _rows)
                {
                    output.WriteLine("| " + string.Join(" | ", row.Select(c => c.Replace("|", "\\|", StringComparison.Ordinal))) + " |");
                }

                return;
            }

            var widths = header.Select((h, i) => Math.Max(h.Length, _rows.Count == 0 ? 0 : _rows.Max(r => r[i].Length))).ToArray();
            output.WriteLine(string.Join("  ", header.Select((h, i) => h.PadRight(widths[i]))).TrimEnd());
            foreach (var row in _rows)
            {
                // Numbers right-aligned, words left-aligned.
                output.WriteLine(string.Join("  ", row.Select((c, i) => AlignNumbers && i > 0 && c.Length > 0 && (char.IsAsciiDigit(c[0]) || c[0] is '$' or '-') ? c.PadLeft(widths[i]) : c.PadRight(widths[i]))).TrimEnd());
            }
        }
    }

    private sealed class EvalOptions
    {
        public string Split { get; private set; } = "holdout";

        public IReadOnlyList<RoutingStrategy> Strategies { get; private set; } = [RoutingStrategy.Heuristic, RoutingStrategy.Embedding, RoutingStrategy.Hybrid];

        public string? CorpusDirectory { get; private set; }

        public double? ComplexProbability { get; private set; }

        public double? EmbedAbove { get; private set; }

        public double? ExemplarMatch { get; private set; }

        public float[]? L2 { get; private set; }

        public int[] OutputTokens { get; private set; } = [200, 600, 1500];

        public int WordPieces { get; private set; } = PromptEmbedder.DefaultWordPieces;

        public int Layers { get; private set; } = RoutingStrategyOptions.DefaultEncoderLayers;

        public bool Sweep { get; private set; }

        public bool Errors { get; private set; }

        public bool Markdown { get; private set; }

        public bool Gate { get; private set; }

        public bool Help { get; private set; }

        public int MaxComplexToCheap { get; private set; }

        public double MinSimpleToCheap { get; private set; } = 0.9;

        public static bool TryParse(IReadOnlyList<string> args, out EvalOptions options, out string? error)
        {
            var o = new EvalOptions();
            options = o;
            error = null;
            for (var i = 0; i < args.Count; i++)
            {
                var name = args[i];
                switch (name)
                {
                    case "--sweep":
                        o.Sweep = true;
                        continue;
                    case "--errors":
                        o.Errors = true;
                        continue;
                    case "--markdown":
                        o.Markdown = true;
                        continue;
                    case "--gate":
                        o.Gate = true;
                        continue;
                    case "--help" or "-h":
                        o.Help = true;
                        continue;
                }

                if (i + 1 >= args.Count)
                {
                    error = $"{name} needs a value (or is unknown).";
                    return false;
                }

                var value = args[++i];
                var ok = true;
                switch (name)
                {
                    case "--split" when value is "holdout" or "train":
                        o.Split = value;
                        break;
                    case "--strategy" when TryStrategies(value, out var strategies):
                        o.Strategies = strategies;
                        break;
                    case "--corpus":
                        o.CorpusDirectory = value;
                        break;
                    case "--complex-probability" when double.TryParse(value, CultureInfo.InvariantCulture, out var p) && p is > 0 and <= 1:
                        o.ComplexProbability = p;
                        break;
                    case "--embed-above" when double.TryParse(value, CultureInfo.InvariantCulture, out var e) && e is >= 0 and <= 1:
                        o.EmbedAbove = e;
                        break;
                    case "--exemplar-match" when double.TryParse(value, CultureInfo.InvariantCulture, out var m) && m is > 0 and <= 1.01:
                        o.ExemplarMatch = m;
                        break;
                    case "--l2" when value.Split(',') is [var a, var b] && float.TryParse(a, CultureInfo.InvariantCulture, out var l2s) && float.TryParse(b, CultureInfo.InvariantCulture, out var l2e) && l2s >= 0 && l2e >= 0:
                        o.L2 = [l2s, l2e];
                        break;
                    case "--word-pieces" when int.TryParse(value, CultureInfo.InvariantCulture, out var pieces) && pieces is >= 3 and <= 256:
                        o.WordPieces = pieces;
                        break;
                    case "--layers" when int.TryParse(value, CultureInfo.InvariantCulture, out var layers) && layers is >= 1 and <= LocalSentenceModel.AllLayers:
                        o.Layers = layers;
                        break;
                    case "--output-tokens" when TryTokens(value, out var tokens):
                        o.OutputTokens = tokens;
                        break;
                    case "--max-complex-to-cheap" when int.TryParse(value, CultureInfo.InvariantCulture, out var max) && max >= 0:
                        o.MaxComplexToCheap = max;
                        break;
                    case "--min-simple-to-cheap" when double.TryParse(value, CultureInfo.InvariantCulture, out var min) && min is >= 0 and <= 1:
                        o.MinSimpleToCheap = min;
                        break;
                    default:
                        ok = false;
                        break;
                }

                if (!ok)
                {
                    error = $"bad option {name} {value}";
                    return false;
                }
            }

            options = o;
            return true;
        }

        private static bool TryStrategies(string value, out IReadOnlyList<RoutingStrategy> strategies)
        {
            if (value == "all")
            {
                strategies = [RoutingStrategy.Heuristic, RoutingStrategy.Embedding, RoutingStrategy.Hybrid];
                return true;
            }

            var list = new List<RoutingStrategy>();
            foreach (var name in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!RoutingStrategies.TryParse(name, out var strategy))
                {
                    strategies = [];
                    return false;
                }

                list.Add(strategy);
            }

            strategies = list;
            return list.Count > 0;
        }

        private static bool TryTokens(string value, out int[] tokens)
        {
            var parts = value.Split(',');
            tokens = new int[ComplexityTiers.Count];
            if (parts.Length != ComplexityTiers.Count)
            {
                return false;
            }

            for (var i = 0; i < parts.Length; i++)
            {
                if (!int.TryParse(parts[i], CultureInfo.InvariantCulture, out tokens[i]) || tokens[i] < 0)
                {
                    return false;
                }
            }

            return true;
        }
    }
}

using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using GRump.Gateway.Embeddings;
using GRump.Gateway.Intent;
using GRump.Gateway.Routing;
using GRump.Gateway.Routing.Internal;
using GRump.Gateway.Chat;

namespace GRump.Benchmarks.Routing;

/// <summary>
/// Decision latency per strategy over the routing holdout: every iteration is ONE routing decision (ModelRouter.Route with
/// the compiled intent given, as the chat pipeline calls it) on the next holdout prompt, round-robin, so BenchmarkDotNet's
/// percentiles are per decision over a realistic mix of prompts. "no cache" = every prompt new to the router (the
/// sentence model runs whenever the strategy needs it); "cache warm" = the prompts were seen before (retries, templates).
/// Run: <c>dotnet run -c Release -- --filter '*RoutingStrategy*'</c>.
/// </summary>
[Config(typeof(PerDecisionConfig))]
public class RoutingStrategyBenchmarks
{
    private ChatRequest[] _requests = [];
    private ParsedIntent[] _intents = [];
    private ModelRouter _router = null!;
    private LocalSentenceModel? _model;
    private int _next;

    [ParamsSource(nameof(Cases))]
    public string Case { get; set; } = "hybrid, no cache";

    public static IEnumerable<string> Cases() => ["heuristic", "embedding, no cache", "hybrid, no cache", "hybrid, cache warm"];

    [GlobalSetup]
    public void Setup()
    {
        var compiler = new IntentCompiler();
        var holdout = RoutingCorpus.ReadFile(Path.Combine(RoutingSetup.CorpusDirectory(null), "holdout.jsonl"));
        _requests = holdout.Select(e => new ChatRequest { Messages = e.Messages }).ToArray();
        _intents = _requests.Select(r => compiler.Compile(ComplexityAnalyzer.TaskText(r))).ToArray();

        var strategy = RoutingStrategies.Parse(Case.Split(',')[0]);
        TierClassifier? classifier = null;
        if (strategy != RoutingStrategy.Heuristic)
        {
            _model = RoutingSetup.SentenceModel();
            _model.EnsureLoaded();
            var defaults = new RoutingStrategyOptions();
            var embedder = new PromptEmbedder(_model, Case.EndsWith("cache warm", StringComparison.Ordinal) ? defaults.EmbeddingCacheEntries : 0);
            var models = TierModels.Train(TierClassifier.Examples(embedder, RoutingCorpus.BuiltInTraining(), compiler));
            classifier = new TierClassifier(embedder, models, ClassifierSettings.From(defaults));
        }

        _router = RoutingSetup.Router(strategy, classifier, compiler);
        // One pass: JIT, ONNX Runtime's first runs, and for "cache warm" every prompt's vector.
        for (var i = 0; i < _requests.Length; i++)
        {
            _router.Route(_requests[i], _intents[i]);
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _model?.Dispose();

    [Benchmark(Description = "one routing decision (holdout prompts, round-robin)")]
    public RoutingResult Decide()
    {
        var i = _next++ % _requests.Length;
        return _router.Route(_requests[i], _intents[i]);
    }

    /// <summary>
    /// One decision per iteration, 2,000 iterations (12 passes over the holdout), percentiles including p99. In-process:
    /// the generated project's build takes minutes on 2 shared cores and measures nothing this benchmark needs; the
    /// in-process default timeout (5 min) is too short for 2,000 sentence-model runs plus training on loaded cores.
    /// </summary>
    private sealed class PerDecisionConfig : ManualConfig
    {
        public PerDecisionConfig()
        {
            AddJob(Job.Default
                .WithToolchain(new InProcessEmitToolchain(TimeSpan.FromMinutes(30), logOutput: true))
                .WithStrategy(RunStrategy.Monitoring)
                .WithLaunchCount(1)
                .WithWarmupCount(50)
                .WithIterationCount(2_000)
                .WithInvocationCount(1)
                .WithUnrollFactor(1));
            AddColumn(StatisticColumn.P50, StatisticColumn.P90, new PercentileColumn(99), StatisticColumn.Max);
            AddDiagnoser(MemoryDiagnoser.Default);
            HideColumns(Column.Error, Column.StdDev);
        }
    }

    /// <summary>BenchmarkDotNet predefines P0–P100 in steps, not P99.</summary>
    private sealed class PercentileColumn(int percentile) : IColumn
    {
        public string Id => "P" + percentile;

        public string ColumnName => "P" + percentile;

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Statistics;

        public int PriorityInCategory => percentile;

        public bool IsNumeric => true;

        public UnitType UnitType => UnitType.Time;

        public string Legend => $"{percentile}th percentile of the per-decision times";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var statistics = summary[benchmarkCase]?.ResultStatistics;
            if (statistics is null)
            {
                return "NA";
            }

            var ns = statistics.Percentiles.Percentile(percentile);
            return ns switch
            {
                < 1e3 => ns.ToString("0.0 'ns'", style.CultureInfo),
                < 1e6 => (ns / 1e3).ToString("0.00 'μs'", style.CultureInfo),
                _ => (ns / 1e6).ToString("0.000 'ms'", style.CultureInfo),
            };
        }

        public bool IsAvailable(Summary summary) => true;

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    }
}

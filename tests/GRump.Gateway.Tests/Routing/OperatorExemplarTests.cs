using GRump.Gateway.Embeddings;
using GRump.Gateway.Routing;
using GRump.Gateway.Routing.Internal;
using GRump.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace GRump.Gateway.Tests.Routing;

/// <summary>
/// Operators' exemplar files: read at start, trained on with the built-in ones (here alone, to keep the test fast), and a
/// prompt that repeats an exemplar takes its label. A training failure falls back to the heuristic, logged once.
/// </summary>
public sealed class OperatorExemplarTests(SentenceModelFixture fixture) : IClassFixture<SentenceModelFixture>, IDisposable
{
    private const string OurTemplate = "Reconcile the quarterly widget ledger for the Oslo branch";

    private readonly string _folder = Directory.CreateTempSubdirectory("grump-exemplars-").FullName;

    private string WriteExemplars()
    {
        var path = Path.Combine(_folder, "ours.jsonl");
        File.WriteAllLines(path,
        [
            "# Our own prompts, labelled by what they need.",
            """{"id": "ours-1", "tier": "complex", "messages": [{"role": "user", "content": "Reconcile the quarterly widget ledger for the Oslo branch"}]}""",
            """{"id": "ours-2", "tier": "complex", "messages": [{"role": "user", "content": "Design our multi-region failover with data replication and a runbook"}]}""",
            """{"id": "ours-3", "tier": "complex", "messages": [{"role": "user", "content": "Prove the scheduler never starves a tenant and implement it"}]}""",
            """{"id": "ours-4", "tier": "medium", "messages": [{"role": "user", "content": "Write a SQL query for monthly revenue per region"}]}""",
            """{"id": "ours-5", "tier": "medium", "messages": [{"role": "user", "content": "Explain optimistic locking with an example"}]}""",
            """{"id": "ours-6", "tier": "medium", "messages": [{"role": "user", "content": "Draft a polite reply to a late-delivery complaint"}]}""",
            """{"id": "ours-7", "tier": "simple", "messages": [{"role": "user", "content": "hello"}]}""",
            """{"id": "ours-8", "tier": "simple", "messages": [{"role": "user", "content": "What is the capital of Peru?"}]}""",
            """{"id": "ours-9", "tier": "simple", "messages": [{"role": "user", "content": "Convert 3 miles to kilometers"}]}""",
        ]);
        return path;
    }

    private TierClassifier Classifier(RoutingStrategyOptions options, ILogger<TierClassifier>? logger = null) =>
        new(Options.Create(options), fixture.Model, RoutingTestHelpers.Compiler, logger ?? NullLogger<TierClassifier>.Instance, TimeProvider.System);

    private static ModelRouter Router(RoutingStrategy strategy, TierClassifier classifier)
    {
        var options = Options.Create(new ModelRegistryOptions());
        return new ModelRouter(new ModelRegistry(options), new FakeProviderDirectory("local", "nim", "anthropic"), RoutingTestHelpers.Compiler,
            new GRump.Gateway.Diagnostics.RoutingMetrics(new TestMeterFactory()), options, strategy, classifier, shadow: null);
    }

    [Fact]
    public void ExemplarFile_RepeatedTemplate_TakesItsLabel()
    {
        // Arrange
        var classifier = Classifier(new RoutingStrategyOptions { BuiltInExemplars = false, ExemplarFiles = [WriteExemplars()] });
        Assert.True(classifier.EnsureLoaded());

        // Act
        var decision = Router(RoutingStrategy.Embedding, classifier).Analyze(RoutingTestHelpers.Chat(OurTemplate)).Decision;

        // Assert
        Assert.True(classifier.IsReady);
        Assert.Equal(ComplexityTier.Complex, decision.Tier);
        Assert.Equal(ModelRegistry.ClaudeSonnet, decision.Model);
        var learned = decision.Factors.Single(f => f.Name == ModelRouter.LearnedFactor);
        Assert.Contains("near-duplicate of an exemplar", learned.Detail, StringComparison.Ordinal);
        Assert.Contains("nearest exemplar ours-1 (1.00)", learned.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void ExemplarMatchAboveOne_TurnsTheNearDuplicateRuleOff()
    {
        // Arrange
        var classifier = Classifier(new RoutingStrategyOptions { BuiltInExemplars = false, ExemplarFiles = [WriteExemplars()], ExemplarMatch = 1.01 });
        Assert.True(classifier.EnsureLoaded());

        // Act
        var decision = Router(RoutingStrategy.Embedding, classifier).Analyze(RoutingTestHelpers.Chat(OurTemplate)).Decision;

        // Assert: the model decided (whatever it says), not the exemplar.
        Assert.DoesNotContain("near-duplicate", decision.Factors.Single(f => f.Name == ModelRouter.LearnedFactor).Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void TrainingFailure_FallsBackToTheHeuristic_AndLogsOneError()
    {
        // Arrange: the file was valid at start and is gone when the router trains.
        using var logs = new RecordingLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs));
        var classifier = Classifier(new RoutingStrategyOptions { BuiltInExemplars = false, ExemplarFiles = [Path.Combine(_folder, "gone.jsonl")] }, factory.CreateLogger<TierClassifier>());
        var heuristic = RoutingTestHelpers.Router().Analyze(RoutingTestHelpers.Chat(OurTemplate)).Decision;

        // Act
        var trained = classifier.EnsureLoaded();
        var first = Router(RoutingStrategy.Hybrid, classifier).Analyze(RoutingTestHelpers.Chat(OurTemplate)).Decision;
        var second = Router(RoutingStrategy.Hybrid, classifier).Analyze(RoutingTestHelpers.Chat(OurTemplate)).Decision;

        // Assert
        Assert.False(trained);
        Assert.False(classifier.IsReady);
        Assert.IsType<FileNotFoundException>(classifier.LoadFailure);
        Assert.Equal(heuristic.Score, first.Score);
        Assert.Equal(heuristic.Model, second.Model);
        Assert.Contains("the learned router is not trained yet", first.Factors.Single(f => f.Name == ModelRouter.LearnedFactor).Detail, StringComparison.Ordinal);
        var error = Assert.Single(logs.Entries, e => e.Level == LogLevel.Error);
        Assert.Contains("falls back to the heuristic", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SentenceModel_DisposedDuringUse_RefusesNewRuns()
    {
        // Arrange
        var model = new LocalSentenceModel(NullLogger<LocalSentenceModel>.Instance, TimeProvider.System);

        // Act
        model.Dispose();

        // Assert
        Assert.Throws<ObjectDisposedException>(() => model.Embed("hello"));
        Assert.False(model.IsLoaded);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}

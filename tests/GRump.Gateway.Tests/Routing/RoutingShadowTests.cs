using System.Net.Http.Json;
using System.Text.Json;
using GRump.Gateway.Chat;
using GRump.Gateway.Diagnostics;
using GRump.Gateway.Embeddings;
using GRump.Gateway.Routing;
using GRump.Gateway.Routing.Internal;
using GRump.Gateway.Tests.Infrastructure;
using GRump.Gateway.Tests.Providers;
using GRump.Gateway.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace GRump.Gateway.Tests.Routing;

/// <summary>
/// Shadow mode and the learned strategies in the running gateway: a second strategy decides every routed request off the
/// request path, and a different tier is counted (<c>routing_disagreement_total</c>) and logged without the prompt.
/// Trained on a small operator file (not the built-in corpus) so each gateway is ready in about a second.
/// </summary>
[Collection(MetricValueTests.Name)]
public sealed class RoutingShadowTests(SentenceModelFixture fixture) : IClassFixture<SentenceModelFixture>, IDisposable
{
    private const string OurTemplate = "Reconcile the quarterly widget ledger for the Oslo branch";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly string _folder = Directory.CreateTempSubdirectory("grump-shadow-").FullName;

    private string Exemplars()
    {
        var path = Path.Combine(_folder, "ours.jsonl");
        File.WriteAllLines(path,
        [
            """{"id": "ours-1", "tier": "complex", "messages": [{"role": "user", "content": "Reconcile the quarterly widget ledger for the Oslo branch"}]}""",
            """{"id": "ours-2", "tier": "complex", "messages": [{"role": "user", "content": "Design our multi-region failover with data replication and a runbook"}]}""",
            """{"id": "ours-3", "tier": "medium", "messages": [{"role": "user", "content": "Write a SQL query for monthly revenue per region"}]}""",
            """{"id": "ours-4", "tier": "medium", "messages": [{"role": "user", "content": "Explain optimistic locking with an example"}]}""",
            """{"id": "ours-5", "tier": "simple", "messages": [{"role": "user", "content": "hello"}]}""",
            """{"id": "ours-6", "tier": "simple", "messages": [{"role": "user", "content": "What is the capital of Peru?"}]}""",
        ]);
        return path;
    }

    private (RoutingShadow Shadow, TestMeterFactory Meters, RecordingLoggerProvider Logs) Shadow(string active, string shadow, bool logText = false)
    {
        var options = Options.Create(new RoutingStrategyOptions { Strategy = active, Shadow = shadow, BuiltInExemplars = false, ExemplarFiles = [Exemplars()], ShadowLogsText = logText });
        var classifier = new TierClassifier(options, fixture.Model, RoutingTestHelpers.Compiler, NullLogger<TierClassifier>.Instance, TimeProvider.System);
        Assert.True(classifier.EnsureLoaded(), classifier.LoadFailure?.ToString());
        var meters = new TestMeterFactory();
        var logs = new RecordingLoggerProvider();
        // The logger keeps writing to the provider after the factory is gone; the factory itself holds nothing to release here.
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
        return (new RoutingShadow(classifier, new RoutingMetrics(meters), options, factory.CreateLogger<RoutingShadow>()), meters, logs);
    }

    private static ShadowItem Item(string text, GRump.Gateway.Routing.ComplexityTier active) =>
        new(RoutingText.ForClassifier([GRump.Gateway.Chat.ChatMessage.FromText(ChatRole.User, text)]), new HeuristicSignals(score: 5, promptTokens: 20), active);

    [Fact]
    public void Compare_Disagreement_IsCountedByStrategiesAndTiers_AndLoggedWithoutThePrompt()
    {
        // Arrange
        var (shadow, meters, logs) = Shadow("heuristic", "embedding");
        using var _ = meters;
        using var disagreements = new MetricCollector<long>(meters, GatewayTelemetry.Name, GatewayTelemetry.Metrics.RoutingDisagreement);
        using var compared = new MetricCollector<long>(meters, GatewayTelemetry.Name, GatewayTelemetry.Metrics.RoutingShadowCompared);

        // Act
        var verdict = shadow.Compare(Item(OurTemplate, GRump.Gateway.Routing.ComplexityTier.Simple));

        // Assert
        Assert.True(shadow.Enabled);
        Assert.Equal(GRump.Gateway.Routing.ComplexityTier.Complex, verdict.Tier);
        var counted = Assert.Single(disagreements.GetMeasurementSnapshot());
        Assert.Equal("heuristic", counted.Tags["active"]);
        Assert.Equal("embedding", counted.Tags["shadow"]);
        Assert.Equal("simple", counted.Tags["active_tier"]);
        Assert.Equal("complex", counted.Tags["shadow_tier"]);
        Assert.Single(compared.GetMeasurementSnapshot());
        var line = Assert.Single(logs.Entries, e => e.Message.StartsWith("Routing shadow disagreement", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Information, line.Level);
        Assert.Contains("heuristic → simple, embedding → complex", line.Message, StringComparison.Ordinal);
        Assert.Contains("nearest exemplar ours-1", line.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Oslo", line.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Compare_WithShadowLogsText_PutsTheTaskInTheLine()
    {
        // Arrange
        var (shadow, meters, logs) = Shadow("heuristic", "embedding", logText: true);
        using var _ = meters;

        // Act
        shadow.Compare(Item(OurTemplate, GRump.Gateway.Routing.ComplexityTier.Simple));

        // Assert
        Assert.Contains(logs.Entries, e => e.Message.EndsWith(": " + OurTemplate, StringComparison.Ordinal));
    }

    [Fact]
    public void Compare_Agreement_IsComparedButNotADisagreement()
    {
        // Arrange
        var (shadow, meters, logs) = Shadow("heuristic", "embedding");
        using var _ = meters;
        using var disagreements = new MetricCollector<long>(meters, GatewayTelemetry.Name, GatewayTelemetry.Metrics.RoutingDisagreement);
        using var compared = new MetricCollector<long>(meters, GatewayTelemetry.Name, GatewayTelemetry.Metrics.RoutingShadowCompared);

        // Act
        shadow.Compare(Item(OurTemplate, GRump.Gateway.Routing.ComplexityTier.Complex));

        // Assert
        Assert.Empty(disagreements.GetMeasurementSnapshot());
        Assert.Single(compared.GetMeasurementSnapshot());
        Assert.DoesNotContain(logs.Entries, e => e.Message.StartsWith("Routing shadow disagreement", StringComparison.Ordinal));
    }

    [Fact]
    public void Observe_QueueFull_DropsAndCounts_NeverBlocks()
    {
        // Arrange: the reader is not running, so the queue fills.
        var (shadow, meters, _) = Shadow("heuristic", "embedding");
        using var __ = meters;
        using var dropped = new MetricCollector<long>(meters, GatewayTelemetry.Name, GatewayTelemetry.Metrics.RoutingShadowDropped);
        var item = Item("hello", GRump.Gateway.Routing.ComplexityTier.Simple);

        // Act
        for (var i = 0; i < ShadowQueue.Capacity + 3; i++)
        {
            shadow.Observe(item.Prompt, item.Signals, item.ActiveTier);
        }

        // Assert
        Assert.Equal(3, dropped.GetMeasurementSnapshot().Count);
    }

    [Fact]
    public void NoShadowConfigured_IsDisabled()
    {
        var (shadow, meters, _) = Shadow("hybrid", string.Empty);
        using var _ = meters;
        Assert.False(shadow.Enabled);
    }

    [Fact]
    public async Task Gateway_ShadowDisagreesWithTheHeuristic_CountsItInMetricsAndLogsIt()
    {
        // Arrange
        await using var h = await UpstreamHarness.StartAsync(new Dictionary<string, string?>
        {
            ["Routing:Strategy"] = "heuristic",
            ["Routing:Shadow"] = "embedding",
            ["Routing:BuiltInExemplars"] = "false",
            ["Routing:ExemplarFiles:0"] = Exemplars(),
        });

        await h.App.Logs.WaitForAsync(e => e.Message.StartsWith("Learned router ready: 6 exemplars", StringComparison.Ordinal), Ct);

        // Act: routed by the heuristic (simple → the cheap model); the shadow decides it again in the background.
        var answer = await h.Chat.CompleteAsync(new CompleteRequest { Chat = UpstreamHarness.Ask(OurTemplate) }, cancellationToken: Ct);
        var line = await h.App.Logs.WaitForAsync(e => e.Message.StartsWith("Routing shadow disagreement", StringComparison.Ordinal), Ct);

        // Assert
        Assert.Equal(ModelRegistry.KimiK25, answer.Outcome.Model);
        Assert.Contains("heuristic → simple, embedding → complex", line.Message, StringComparison.Ordinal);
        Assert.Equal(1, await PrometheusScrape.SumAsync(h.App.Http, "routing_disagreement_total",
            "active=\"heuristic\",active_tier=\"simple\",shadow=\"embedding\",shadow_tier=\"complex\""));
        Assert.Equal(1, await PrometheusScrape.SumAsync(h.App.Http, "routing_shadow_compared_total"));
    }

    [Fact]
    public async Task Gateway_EmbeddingStrategy_AnalyzeShowsTheLearnedFactor_AndIsReadyOnceTrained()
    {
        // Arrange
        await using var h = await UpstreamHarness.StartAsync(new Dictionary<string, string?>
        {
            ["Routing:Strategy"] = "embedding",
            ["Routing:BuiltInExemplars"] = "false",
            ["Routing:ExemplarFiles:0"] = Exemplars(),
        });
        await h.App.Logs.WaitForAsync(e => e.Message.StartsWith("Learned router ready: 6 exemplars", StringComparison.Ordinal), Ct);

        // Act
        var ready = await h.App.Http.GetAsync("/readyz", Ct);
        var response = await h.App.Http.PostAsJsonAsync("/api/routing/analyze", new { messages = new[] { new { role = "user", content = OurTemplate } } }, Ct);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));

        // Assert
        Assert.Equal(System.Net.HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        var root = json.RootElement;
        Assert.Equal("COMPLEXITY_TIER_COMPLEX", root.GetProperty("tier").GetString());
        Assert.Equal(ModelRegistry.ClaudeSonnet, root.GetProperty("model").GetString());
        Assert.Contains(root.GetProperty("factors").EnumerateArray(), f => f.GetProperty("name").GetString() == ModelRouter.LearnedFactor);
    }

    [Fact]
    public async Task Gateway_HeuristicStrategy_RoutesWithoutLoadingTheSentenceModel()
    {
        // Arrange: no learned strategy, active or shadow, so nothing may load MiniLM (its memory is paid only when needed).
        await using var h = await UpstreamHarness.StartAsync(new Dictionary<string, string?> { ["Routing:Strategy"] = "heuristic" });

        // Act
        var answer = await h.Chat.CompleteAsync(new CompleteRequest { Chat = UpstreamHarness.Ask(OurTemplate) }, cancellationToken: Ct);
        var analyze = await h.App.Http.PostAsJsonAsync("/api/routing/analyze", new { messages = new[] { new { role = "user", content = OurTemplate } } }, Ct);
        using var json = JsonDocument.Parse(await analyze.Content.ReadAsStringAsync(Ct));

        // Assert
        Assert.Equal(ModelRegistry.KimiK25, answer.Outcome.Model);
        Assert.Equal(System.Net.HttpStatusCode.OK, analyze.StatusCode);
        Assert.DoesNotContain(json.RootElement.GetProperty("factors").EnumerateArray(), f => f.GetProperty("name").GetString() == ModelRouter.LearnedFactor);
        Assert.False(h.App.Services.GetRequiredKeyedService<LocalSentenceModel>(RoutingStrategyOptions.EncoderServiceKey).IsLoaded);
        Assert.False(h.App.Services.GetRequiredService<LocalSentenceModel>().IsLoaded);
        Assert.DoesNotContain(h.App.Logs.Entries, e => e.Message.StartsWith("Learned router", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Gateway_HybridDefault_TrainsWithoutTheSentenceModel_LoadsItOnTheFirstDecisionThatNeedsIt()
    {
        // Arrange: the shipped default (hybrid, the built-in exemplars, their vectors precomputed); the sentence model
        // consulted on every decision the heuristic does not call complex, so the first one needs it.
        await using var h = await UpstreamHarness.StartAsync(new Dictionary<string, string?> { ["Routing:Strategy"] = "hybrid", ["Routing:EmbedAbove"] = "0" });
        await h.App.Logs.WaitForAsync(e => e.Message.StartsWith("Learned router ready: ", StringComparison.Ordinal), Ct);
        var model = h.App.Services.GetRequiredKeyedService<LocalSentenceModel>(RoutingStrategyOptions.EncoderServiceKey);
        var embeddingProviders = h.App.Services.GetRequiredService<LocalSentenceModel>();
        var loadedBefore = model.IsLoaded;
        var ask = "Suggest a name for a small bakery in a seaside town " + Guid.CreateVersion7().ToString("N");

        // Act
        var first = await LearnedDetailAsync(h, ask);
        await h.App.Logs.WaitForAsync(e => e.Message.StartsWith("Loaded the local sentence model", StringComparison.Ordinal), Ct);
        var second = await LearnedDetailAsync(h, ask + " please");

        // Assert
        Assert.False(loadedBefore);
        Assert.Contains("text-shape model alone, the embedding model still loading", first, StringComparison.Ordinal);
        Assert.True(model.IsLoaded);
        Assert.Contains("hybrid (text-shape and embedding models)", second, StringComparison.Ordinal);
        // The router's own encoder, cut after Routing:EncoderLayers; the local embedding provider's whole model is another
        // instance, not loaded by routing.
        Assert.Equal(RoutingStrategyOptions.DefaultEncoderLayers, model.Layers);
        Assert.NotSame(model, embeddingProviders);
        Assert.Equal(LocalSentenceModel.AllLayers, embeddingProviders.Layers);
        Assert.False(embeddingProviders.IsLoaded);
    }

    private static async Task<string> LearnedDetailAsync(UpstreamHarness h, string text)
    {
        var response = await h.App.Http.PostAsJsonAsync("/api/routing/analyze", new { messages = new[] { new { role = "user", content = text } } }, Ct);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        return json.RootElement.GetProperty("factors").EnumerateArray().Single(f => f.GetProperty("name").GetString() == ModelRouter.LearnedFactor).GetProperty("detail").GetString()!;
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}

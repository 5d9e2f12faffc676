using GRump.Gateway.Embeddings;
using GRump.Gateway.Routing;
using GRump.Gateway.Routing.Internal;
using GRump.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace GRump.Gateway.Tests.Routing;

/// <summary>
/// The learned router as the gateway builds it by default: the real sentence model, the shipped training exemplars, the
/// default thresholds. Trained once for the class from the precomputed exemplar vectors, then the sentence model loaded.
/// </summary>
public sealed class LearnedRouterFixture : IDisposable
{
    public LearnedRouterFixture()
    {
        Model = RouterEncoder();
        Classifier = new TierClassifier(Options.Create(new RoutingStrategyOptions()), Model, RoutingTestHelpers.Compiler, NullLogger<TierClassifier>.Instance, TimeProvider.System);
        Assert.True(Classifier.EnsureLoaded(), Classifier.LoadFailure?.ToString());
    }

    public LocalSentenceModel Model { get; }

    internal TierClassifier Classifier { get; }

    /// <summary>A router over the default registry with <paramref name="strategy"/> and the trained classifier.</summary>
    public ModelRouter Router(RoutingStrategy strategy = RoutingStrategy.Hybrid, string[]? providers = null, TestMeterFactory? meters = null)
    {
        var options = Options.Create(new ModelRegistryOptions());
        return new ModelRouter(new ModelRegistry(options), new FakeProviderDirectory(providers ?? ["local", "nim", "anthropic"]), RoutingTestHelpers.Compiler,
            new GRump.Gateway.Diagnostics.RoutingMetrics(meters ?? new TestMeterFactory()), options, strategy, Classifier, shadow: null);
    }

    public void Dispose() => Model.Dispose();

    /// <summary>The router's encoder as the gateway builds it: the sentence model cut after the shipped <c>Routing:EncoderLayers</c>.</summary>
    public static LocalSentenceModel RouterEncoder(int layers = RoutingStrategyOptions.DefaultEncoderLayers) =>
        new(NullLogger<LocalSentenceModel>.Instance, TimeProvider.System, options: null, layers);
}

/// <summary>The router's encoder alone (the sentence model cut as shipped), loaded once for a class (about a second).</summary>
public sealed class SentenceModelFixture : IDisposable
{
    public LocalSentenceModel Model { get; } = LearnedRouterFixture.RouterEncoder();

    public void Dispose() => Model.Dispose();
}

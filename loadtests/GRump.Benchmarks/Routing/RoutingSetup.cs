using System.Diagnostics.Metrics;
using GRump.Gateway.Diagnostics;
using GRump.Gateway.Embeddings;
using GRump.Gateway.Intent;
using GRump.Gateway.Providers;
using GRump.Gateway.Routing;
using GRump.Gateway.Routing.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace GRump.Benchmarks.Routing;

/// <summary>
/// Routers as the gateway builds them, for the offline evaluation and the benchmarks: the default registry, the given
/// providers configured, and for the learned strategies a tier classifier over the given exemplars and the real
/// in-process sentence model.
/// </summary>
internal static class RoutingSetup
{
    public static readonly string[] DefaultProviders = ["local", "nim", "anthropic"];

    /// <summary>The router's encoder: the sentence model cut after <paramref name="layers"/> layers (default the shipped <c>Routing:EncoderLayers</c>).</summary>
    public static LocalSentenceModel SentenceModel(int layers = RoutingStrategyOptions.DefaultEncoderLayers) =>
        new(NullLogger<LocalSentenceModel>.Instance, TimeProvider.System, options: null, layers);

    public static ModelRouter Router(RoutingStrategy strategy, TierClassifier? classifier, IIntentCompiler compiler, string[]? providers = null)
    {
        var options = Options.Create(new ModelRegistryOptions());
        return new ModelRouter(new ModelRegistry(options), new StaticProviders(providers ?? DefaultProviders), compiler,
            new RoutingMetrics(new PlainMeterFactory()), options, strategy, strategy == RoutingStrategy.Heuristic ? null : classifier, shadow: null);
    }

    /// <summary>The repository's routing corpus folder: <paramref name="explicitPath"/>, or found upwards from the working directory and the binary.</summary>
    public static string CorpusDirectory(string? explicitPath)
    {
        if (!string.IsNullOrEmpty(explicitPath))
        {
            return explicitPath;
        }

        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "src", "GRump.Gateway.Core", "Routing", "Corpus");
                if (File.Exists(Path.Combine(candidate, "holdout.jsonl")))
                {
                    return candidate;
                }
            }
        }

        throw new DirectoryNotFoundException("The routing corpus (src/GRump.Gateway.Core/Routing/Corpus) was not found above the working directory; pass --corpus <dir>.");
    }

    /// <summary>A provider directory that reports the given names and serves no calls (routing never makes one).</summary>
    internal sealed class StaticProviders(params string[] names) : IProviderDirectory
    {
        private readonly HashSet<string> _names = new(names, StringComparer.Ordinal);

        public IReadOnlyCollection<string> Available => _names;

        public bool IsAvailable(string provider) => _names.Contains(provider);

        public IChatProvider GetChat(string provider) => throw new NotSupportedException();

        public IEmbeddingProvider GetEmbedding(string provider) => throw new NotSupportedException();
    }

    internal sealed class PlainMeterFactory : IMeterFactory
    {
        public Meter Create(MeterOptions options) => new(options);

        public void Dispose()
        {
        }
    }
}

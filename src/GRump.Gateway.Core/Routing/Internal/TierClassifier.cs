using GRump.Gateway.Embeddings;
using GRump.Gateway.Intent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GRump.Gateway.Routing.Internal;

/// <summary>
/// Decides a task's tier with a <see cref="RoutingStrategy"/> from the classifier input (<see cref="RoutingText"/>) and
/// the heuristic's signals — no wire types. The learned models (<see cref="TierModels"/>) train once, in the background,
/// from the first decision that needs them or from <see cref="StartTraining"/> at start. Training publishes in two stages
/// — the surface model, then the embedding model once every exemplar has its vector (the built-in ones are precomputed,
/// <see cref="ExemplarVectors"/>; only operator exemplars need the sentence model) — and a decision never waits for it:
/// until a stage is ready the decision uses what is (the surface model, else the heuristic) and says so. The sentence
/// model itself loads on the first decision that needs a prompt's vector, in the background too (that decision and those
/// during the load go by the surface model), so a gateway that never needs it never holds it. If training fails,
/// decisions fall back the same way, logged once.
/// </summary>
internal sealed class TierClassifier
{
    /// <summary>Hybrid's weight of the surface model against the sentence model (late fusion, equal weights: docs/routing.md).</summary>
    public const float SurfaceWeight = 0.5f;

    private readonly Action<CancellationToken>? _train;
    private readonly ILogger? _logger;
    private readonly CancellationToken _stopping;
    private Task? _training;
    private SoftmaxRegression? _surface;
    private TierModels? _models;
    private Exception? _loadFailure;

    /// <summary>For the gateway: exemplars from the options, the sentence model from DI, trained in the background (abandoned when the gateway stops).</summary>
    public TierClassifier(IOptions<RoutingStrategyOptions> options, [FromKeyedServices(RoutingStrategyOptions.EncoderServiceKey)] LocalSentenceModel model,
        IIntentCompiler compiler, ILogger<TierClassifier> logger, TimeProvider time,
        IHostApplicationLifetime? lifetime = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(time);
        var value = options.Value;
        Settings = ClassifierSettings.From(value);
        Embedder = new PromptEmbedder(model, value.EmbeddingCacheEntries);
        _logger = logger;
        _stopping = lifetime?.ApplicationStopping ?? CancellationToken.None;
        _train = cancellationToken =>
        {
            var started = time.GetTimestamp();
            var exemplars = LoadExemplars(value);
            var prompts = new RoutingPrompt[exemplars.Count];
            var surface = new float[exemplars.Count][];
            for (var i = 0; i < exemplars.Count; i++)
            {
                prompts[i] = exemplars[i].ClassifierPrompt;
                surface[i] = SurfaceOf(prompts[i], ExemplarSignals.Of(exemplars[i], compiler));
            }

            Volatile.Write(ref _surface, TierModels.TrainSurface(surface, exemplars.Select(e => e.Tier).ToArray()));
            var vectors = Embedder.EmbedMany(prompts.Select(p => p.Text).ToArray(), cancellationToken);
            var examples = new TrainingExample[exemplars.Count];
            for (var i = 0; i < examples.Length; i++)
            {
                examples[i] = new TrainingExample(exemplars[i].Id, exemplars[i].Tier, surface[i], vectors[i]);
            }

            var models = TierModels.Train(examples);
            Volatile.Write(ref _models, models);
            RoutingLog.ClassifierLoaded(logger, models.Count, models.TierCounts[0], models.TierCounts[1], models.TierCounts[2], value.ExemplarFiles.Count,
                time.GetElapsedTime(started).TotalMilliseconds);
        };
    }

    /// <summary>For the evaluator and tests: trained models.</summary>
    public TierClassifier(PromptEmbedder embedder, TierModels models, ClassifierSettings settings)
    {
        Embedder = embedder;
        _models = models;
        _surface = models.Surface;
        Settings = settings;
    }

    public PromptEmbedder Embedder { get; }

    public ClassifierSettings Settings { get; }

    /// <summary>True when every model is trained; false while training or after a failure.</summary>
    public bool IsReady => Volatile.Read(ref _models) is not null;

    /// <summary>Why training stopped, if it did (a failure, or the gateway stopping).</summary>
    public Exception? LoadFailure => Volatile.Read(ref _loadFailure);

    /// <summary>Every exemplar the options name: the built-in training split and the operator's files.</summary>
    public static List<RoutingExemplar> LoadExemplars(RoutingStrategyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var exemplars = new List<RoutingExemplar>();
        if (options.BuiltInExemplars)
        {
            exemplars.AddRange(RoutingCorpus.BuiltInTraining());
        }

        foreach (var path in options.ExemplarFiles)
        {
            exemplars.AddRange(RoutingCorpus.ReadFile(path));
        }

        return exemplars;
    }

    /// <summary>The exemplars as training examples: the heuristic's signals, surface features and sentence vectors.</summary>
    public static List<TrainingExample> Examples(PromptEmbedder embedder, IReadOnlyList<RoutingExemplar> exemplars, IIntentCompiler compiler, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(embedder);
        ArgumentNullException.ThrowIfNull(exemplars);
        var prompts = exemplars.Select(e => e.ClassifierPrompt).ToArray();
        var vectors = embedder.EmbedMany(prompts.Select(p => p.Text).ToArray(), cancellationToken);
        var examples = new List<TrainingExample>(exemplars.Count);
        for (var i = 0; i < exemplars.Count; i++)
        {
            examples.Add(new TrainingExample(exemplars[i].Id, exemplars[i].Tier, SurfaceOf(prompts[i], ExemplarSignals.Of(exemplars[i], compiler)), vectors[i]));
        }

        return examples;
    }

    /// <summary>Starts training in the background if it has not started (at start, and from the first decision that needs it).</summary>
    public void StartTraining()
    {
        if (_train is null || Volatile.Read(ref _training) is not null)
        {
            return;
        }

        // Off the caller's thread: a decision or the host's start never waits for the exemplars.
        var training = new Task(() => Train(_train), TaskCreationOptions.DenyChildAttach);
        if (Interlocked.CompareExchange(ref _training, training, null) is null)
        {
            training.Start(TaskScheduler.Default);
        }
    }

    /// <summary>Trains now and waits for it, then loads the sentence model (the evaluator, tests: every decision as it will be once warm); false when training failed.</summary>
    public bool EnsureLoaded()
    {
        StartTraining();
        Volatile.Read(ref _training)?.GetAwaiter().GetResult();
        if (IsReady)
        {
            Embedder.Model.EnsureLoaded();
        }

        return IsReady;
    }

    /// <summary>The tier <paramref name="strategy"/> gives the task.</summary>
    public TierVerdict Decide(RoutingStrategy strategy, RoutingPrompt prompt, HeuristicSignals signals)
    {
        ArgumentNullException.ThrowIfNull(prompt.Text);
        ArgumentNullException.ThrowIfNull(signals);
        var heuristic = ComplexityTiers.FromScore(signals.Score);
        if (strategy == RoutingStrategy.Heuristic)
        {
            return new TierVerdict(strategy, heuristic, heuristic, TierSource.Heuristic);
        }

        // Hybrid never lowers the heuristic's "complex": escalation only goes up.
        if (strategy == RoutingStrategy.Hybrid && heuristic == ComplexityTier.Complex)
        {
            return new TierVerdict(strategy, heuristic, heuristic, TierSource.Heuristic);
        }

        var models = Volatile.Read(ref _models);
        var surfaceModel = models?.Surface ?? Volatile.Read(ref _surface);
        if (models is null)
        {
            StartTraining();
        }

        if (surfaceModel is null)
        {
            return new TierVerdict(strategy, heuristic, heuristic, TierSource.Heuristic) { Unavailable = true };
        }

        Span<float> p = stackalloc float[ComplexityTiers.Count];
        Span<float> q = stackalloc float[ComplexityTiers.Count];
        Span<float> surface = stackalloc float[TaskFeatures.SurfaceCount];
        TaskFeatures.Surface(prompt, signals, surface);
        surfaceModel.Predict(surface, p);
        // Skip the sentence model where it cannot change the answer (half the surface model's P(complex) already reaches
        // the threshold), where the surface model is sure the task is not complex, or while the embeddings still load.
        if (models is null || (strategy == RoutingStrategy.Hybrid && (SurfaceWeight * p[2] >= Settings.ComplexProbability || p[2] < Settings.EmbedAbove)))
        {
            return new TierVerdict(strategy, Rule(p), heuristic, TierSource.Surface) { Probabilities = Copy(p), Loading = models is null };
        }

        if (!Embedder.TryEmbed(prompt.Text, out var vector, out var cached))
        {
            // The sentence model is loading (in the background, from this first need): the surface model decides meanwhile.
            return new TierVerdict(strategy, Rule(p), heuristic, TierSource.Surface) { Probabilities = Copy(p), Loading = true };
        }

        models.Semantic.Predict(vector, q);
        for (var c = 0; c < ComplexityTiers.Count; c++)
        {
            p[c] = strategy == RoutingStrategy.Hybrid ? SurfaceWeight * p[c] + (1 - SurfaceWeight) * q[c] : q[c];
        }

        var tier = Rule(p);
        var source = strategy == RoutingStrategy.Embedding ? TierSource.Semantic : TierSource.Combined;
        var nearest = models.Nearest.Nearest(vector);
        if (nearest.Similarity >= Settings.ExemplarMatch)
        {
            // A near-duplicate of a labelled exemplar (an operator's template, a known prompt) takes its label.
            tier = nearest.Tier;
            source = TierSource.Exemplar;
        }

        return new TierVerdict(strategy, tier, heuristic, source)
        {
            Probabilities = Copy(p),
            Embedded = true,
            Cached = cached,
            NearestId = nearest.Id,
            NearestSimilarity = nearest.Similarity,
        };
    }

    private static float[] SurfaceOf(RoutingPrompt prompt, HeuristicSignals signals)
    {
        var features = new float[TaskFeatures.SurfaceCount];
        TaskFeatures.Surface(prompt, signals, features);
        return features;
    }

    /// <summary>Complex at or above the threshold (asymmetric: a miss there is a quality incident); else the likelier of simple and medium.</summary>
    private ComplexityTier Rule(ReadOnlySpan<float> p) =>
        p[2] >= Settings.ComplexProbability ? ComplexityTier.Complex : p[1] >= p[0] ? ComplexityTier.Medium : ComplexityTier.Simple;

    private static TierProbabilities Copy(ReadOnlySpan<float> p) => new(p[0], p[1], p[2]);

    private void Train(Action<CancellationToken> train)
    {
        try
        {
            train(_stopping);
        }
        catch (Exception exception) when (exception is OperationCanceledException or ObjectDisposedException)
        {
            // The gateway is stopping: nothing failed, and nobody will route again.
            Volatile.Write(ref _loadFailure, exception);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // A broken model or exemplar file must not take routing down: the surface model or the heuristic still routes.
            Volatile.Write(ref _loadFailure, exception);
            if (_logger is not null)
            {
                RoutingLog.ClassifierFailed(_logger, Volatile.Read(ref _surface) is null ? "the heuristic" : "the surface model alone", exception);
            }
        }
    }
}

/// <summary>The classifier's knobs (from <see cref="RoutingStrategyOptions"/>; the evaluator sweeps them).</summary>
internal sealed record ClassifierSettings(float ComplexProbability, float EmbedAbove, float ExemplarMatch)
{
    public static ClassifierSettings From(RoutingStrategyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new((float)options.ComplexProbability, (float)options.EmbedAbove, (float)options.ExemplarMatch);
    }
}

/// <summary>Which model decided.</summary>
internal enum TierSource
{
    Heuristic,
    Surface,
    Semantic,
    Combined,
    Exemplar,
}

internal readonly record struct TierProbabilities(float Simple, float Medium, float Complex);

/// <summary>A strategy's decision: the tier, the heuristic's own tier, which model decided and with what probabilities.</summary>
internal readonly record struct TierVerdict(RoutingStrategy Strategy, ComplexityTier Tier, ComplexityTier HeuristicTier, TierSource Source)
{
    public TierProbabilities? Probabilities { get; init; }

    /// <summary>The sentence model's vector was needed (from the cache when <see cref="Cached"/>).</summary>
    public bool Embedded { get; init; }

    public bool Cached { get; init; }

    public string? NearestId { get; init; }

    public float NearestSimilarity { get; init; }

    /// <summary>No learned model is available (training, or failed); the heuristic decided.</summary>
    public bool Unavailable { get; init; }

    /// <summary>The embedding model is still training, or the sentence model still loading; the surface model decided alone.</summary>
    public bool Loading { get; init; }
}

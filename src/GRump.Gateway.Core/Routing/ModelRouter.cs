using System.Collections.Frozen;
using System.Globalization;
using GRump.Gateway.Chat;
using GRump.Gateway.Diagnostics;
using GRump.Gateway.Errors;
using GRump.Gateway.Intent;
using GRump.Gateway.Providers;
using GRump.Gateway.Routing.Internal;
using Microsoft.Extensions.Options;

namespace GRump.Gateway.Routing;

/// <summary>
/// Chooses the model for a chat request: complexity → tier → the tier's model among those whose provider is
/// configured, that have the required capabilities and a context window for the prompt plus its output budget; then
/// the caller's cost cap. Explains every choice in one line and prices it. Rules: docs/routing.md.
/// Thread-safe; one instance serves every request.
/// </summary>
public sealed class ModelRouter
{
    /// <summary>The factor a learned strategy adds: its probabilities, and the points that moved the score into its tier.</summary>
    public const string LearnedFactor = "learned";

    private const string NoModelFits = "NO_MODEL_FITS";
    private const string ProviderNotConfigured = "PROVIDER_NOT_CONFIGURED";

    private readonly ModelProfile[] _models;
    private readonly FrozenDictionary<string, ModelProfile> _byId;
    private readonly ModelDefinition _premium;
    private readonly IProviderDirectory _providers;
    private readonly IIntentCompiler _intentCompiler;
    private readonly RoutingMetrics _metrics;
    private readonly int _defaultMaxOutputTokens;
    private readonly RoutingStrategy _strategy;
    private readonly TierClassifier? _classifier;
    private readonly RoutingShadow? _shadow;

    /// <summary>A router with the heuristic strategy and no shadow.</summary>
    public ModelRouter(ModelRegistry registry, IProviderDirectory providers, IIntentCompiler intentCompiler, RoutingMetrics metrics, IOptions<ModelRegistryOptions> options)
        : this(registry, providers, intentCompiler, metrics, options, RoutingStrategy.Heuristic, classifier: null, shadow: null)
    {
    }

    /// <summary>A router whose tier comes from <paramref name="strategy"/> (<paramref name="classifier"/> needed unless heuristic), compared against <paramref name="shadow"/> when enabled.</summary>
    internal ModelRouter(ModelRegistry registry, IProviderDirectory providers, IIntentCompiler intentCompiler, RoutingMetrics metrics, IOptions<ModelRegistryOptions> options,
        RoutingStrategy strategy, TierClassifier? classifier, RoutingShadow? shadow)
    {
        if ((strategy != RoutingStrategy.Heuristic || shadow is { Enabled: true }) && classifier is null)
        {
            throw new ArgumentNullException(nameof(classifier), "A strategy other than heuristic, or a shadow, needs the tier classifier.");
        }

        _strategy = strategy;
        _classifier = classifier;
        _shadow = shadow is { Enabled: true } ? shadow : null;
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(providers);
        ArgumentNullException.ThrowIfNull(intentCompiler);
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(options);
        _providers = providers;
        _intentCompiler = intentCompiler;
        _metrics = metrics;
        _defaultMaxOutputTokens = options.Value.DefaultMaxOutputTokens;
        _models = new ModelProfile[registry.Models.Count];
        for (var i = 0; i < _models.Length; i++)
        {
            _models[i] = new ModelProfile(registry.Models[i]);
        }

        _byId = _models.ToFrozenDictionary(m => m.Definition.Id, StringComparer.Ordinal);
        _premium = registry.TryGet(registry.PremiumModel, out var premium)
            ? premium
            : throw new InvalidOperationException($"Routing:PremiumModel '{registry.PremiumModel}' is not in the model registry.");
    }

    /// <summary>The model routing savings are measured against.</summary>
    public ModelDefinition PremiumModel => _premium;

    /// <summary>How this router decides the tier (<c>Routing:Strategy</c>).</summary>
    public RoutingStrategy Strategy => _strategy;

    /// <summary>
    /// Routes <paramref name="request"/> and counts the selection (<c>model_selection_total</c>,
    /// <c>task_complexity_score</c>). <paramref name="intent"/> = the compiled <see cref="ComplexityAnalyzer.TaskText"/>
    /// when the caller has it already; null = compiled here.
    /// </summary>
    /// <exception cref="GatewayException">INVALID_ARGUMENT for an unknown model, capability or a bad cap;
    /// FAILED_PRECONDITION when no model fits the cap, capabilities or context window.</exception>
    public RoutingResult Route(ChatRequest request, ParsedIntent? intent = null) => Decide(request, intent, record: true);

    /// <summary>The same decision as <see cref="Route"/> without counting it: for AnalyzeComplexity (no model is called).</summary>
    public RoutingResult Analyze(ChatRequest request, ParsedIntent? intent = null) => Decide(request, intent, record: false);

    /// <summary>What the premium model would have cost for the same tokens minus what <paramref name="actual"/> cost; ≥ 0.</summary>
    public double RoutingSavings(ModelDefinition actual, TokenUsage usage)
    {
        ArgumentNullException.ThrowIfNull(actual);
        // No counterfactual without the premium model: a gateway that can only reach the local model saved nothing.
        if (ReferenceEquals(actual, _premium) || string.Equals(actual.Id, _premium.Id, StringComparison.Ordinal) || !_providers.IsAvailable(_premium.Provider))
        {
            return 0;
        }

        return Math.Max(0, _premium.Cost(usage) - actual.Cost(usage));
    }

    /// <summary>
    /// Call once after the upstream call completed with its usage: returns the routing savings and adds them to
    /// <c>model_routing_savings_usd_total</c>. A request that named its model saved nothing by routing (0).
    /// </summary>
    public double RecordOutcome(RoutingResult result, TokenUsage usage) => RecordOutcome(result, result?.Model!, usage);

    /// <summary>As <see cref="RecordOutcome(RoutingResult, TokenUsage)"/> when a fallback model answered instead.</summary>
    public double RecordOutcome(RoutingResult result, ModelDefinition answered, TokenUsage usage)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(answered);
        if (result.Decision.ExplicitModel)
        {
            return 0;
        }

        var savings = RoutingSavings(answered, usage);
        _metrics.RecordSavings(answered.Id, savings);
        return savings;
    }

    private RoutingResult Decide(ChatRequest request, ParsedIntent? intent, bool record)
    {
        ArgumentNullException.ThrowIfNull(request);
        var maxCost = request.Routing.MaxCostPerRequestUsd;
        if (!double.IsFinite(maxCost) || maxCost < 0)
        {
            GatewayErrors.ThrowInvalidArgument("routing.max_cost_per_request_usd", "must be 0 (no cap) or a positive number of USD.");
        }

        if (request.MaxTokens < 0)
        {
            GatewayErrors.ThrowInvalidArgument("max_tokens", "must be 0 (the default output budget) or positive.");
        }

        var required = RequiredCapabilities(request);
        var inputTokens = ChatTokens.CountPrompt(request);
        var maxOutputTokens = request.MaxTokens > 0 ? request.MaxTokens : _defaultMaxOutputTokens;
        intent ??= _intentCompiler.Compile(ComplexityAnalyzer.TaskText(request));

        var factors = new List<ComplexityFactor>(7);
        var heuristicScore = ComplexityAnalyzer.Analyze(request, inputTokens, intent, factors);
        var (score, via) = ApplyStrategy(request, heuristicScore, inputTokens, factors, record);
        var tier = ComplexityTiers.FromScore(score);

        var ask = new Ask(tier, score, required, inputTokens, maxOutputTokens, maxCost, request.Routing.PreferCheaper) { Via = via };
        var (chosen, reason) = request.Model.Length > 0 ? ChooseExplicit(request.Model, ask) : ChooseRouted(ask);

        // The output budget is the reservation's and the upstream's cap: never above what the model can produce.
        var outputCap = chosen.OutputLimit(request.MaxTokens, _defaultMaxOutputTokens);
        var decision = new RoutingDecision(score, tier, chosen.Id, chosen.Provider, reason)
        {
            EstimatedCostUsd = chosen.Cost(inputTokens, outputCap),
            ExplicitModel = request.Model.Length > 0,
            Factors = factors,
        };
        if (record)
        {
            _metrics.RecordSelection(decision);
        }

        return new RoutingResult(chosen, decision, inputTokens, outputCap, intent);
    }

    /// <summary>
    /// The one place a strategy other than the heuristic meets the request: the classifier reads only the classifier text
    /// and the heuristic's signals (score, factor points, tokens); its verdict moves the score into its tier as a
    /// <c>learned</c> factor, so the score is still the sum of the factors and the tier still follows the score. Routed
    /// decisions also go to the shadow.
    /// </summary>
    private (int Score, string? Via) ApplyStrategy(ChatRequest request, int score, int inputTokens, List<ComplexityFactor> factors, bool record)
    {
        // A request that names its model is not routed: the heuristic's score describes it, and nothing is worth comparing.
        if (_classifier is null || request.Model.Length > 0 || (_strategy == RoutingStrategy.Heuristic && (_shadow is null || !record)))
        {
            return (score, null);
        }

        var prompt = RoutingText.ForClassifier(request.Messages);
        var signals = new HeuristicSignals(score, inputTokens);
        foreach (var factor in factors)
        {
            signals.Add(factor.Name, factor.Points);
        }

        var verdict = _classifier.Decide(_strategy, prompt, signals);
        if (record)
        {
            _shadow?.Observe(prompt, signals, verdict.Tier);
            if (verdict.Embedded)
            {
                _metrics.RecordEmbeddingLookup(verdict.Cached);
            }
        }

        if (verdict.Unavailable)
        {
            factors.Add(new ComplexityFactor(LearnedFactor, 0, "the learned router is not trained yet (or failed: see the log); the heuristic decided"));
            return (score, null);
        }

        if (verdict.Probabilities is not { } p)
        {
            return (score, null);
        }

        var final = ComplexityTiers.IntoBand(score, verdict.Tier);
        var nearest = verdict.NearestId is null ? string.Empty : string.Create(CultureInfo.InvariantCulture, $"; nearest exemplar {verdict.NearestId} ({verdict.NearestSimilarity:0.00})");
        factors.Add(new ComplexityFactor(LearnedFactor, final - score, string.Create(CultureInfo.InvariantCulture,
            $"{RoutingStrategies.Name(_strategy)} ({Describe(verdict.Source)}{(verdict.Loading ? ", the embedding model still loading" : string.Empty)}): simple {p.Simple:0.00}, medium {p.Medium:0.00}, complex {p.Complex:0.00}, complex from {_classifier.Settings.ComplexProbability:0.00}{nearest}")));
        var via = verdict.Tier == verdict.HeuristicTier ? null : string.Create(CultureInfo.InvariantCulture,
            $"; {ComplexityTiers.Name(verdict.HeuristicTier)} by the heuristic, {ComplexityTiers.Name(verdict.Tier)} by the {RoutingStrategies.Name(_strategy)} router");
        return (final, via);
    }

    private static string Describe(TierSource source) => source switch
    {
        TierSource.Surface => "text-shape model alone",
        TierSource.Semantic => "embedding model",
        TierSource.Combined => "text-shape and embedding models",
        TierSource.Exemplar => "near-duplicate of an exemplar",
        _ => "heuristic",
    };

    private (ModelDefinition Model, string Reason) ChooseRouted(in Ask ask)
    {
        var tierName = ComplexityTiers.Name(ask.Tier);
        ModelProfile? chosen = null;
        string? why = null;
        if (ask.PreferCheaper && ask.Tier != ComplexityTier.Complex)
        {
            // prefer_cheaper never applies to a complex task: a weaker model there costs a retry, not a saving.
            chosen = Cheapest(ask, routableOnly: true);
            why = chosen is null ? null : "prefer_cheaper: the cheapest capable model";
        }

        if (chosen is null && ask.Tier == ComplexityTier.Complex && _byId.TryGetValue(_premium.Id, out var premium)
            && (premium.Tiers & TierFlags.Complex) != 0 && Fits(premium, ask))
        {
            chosen = premium;
            why = "the premium model for a complex task";
        }

        chosen ??= FirstServing(ModelProfile.ToFlag(ask.Tier), ask);
        why ??= string.Create(CultureInfo.InvariantCulture, $"the {tierName} tier's model");
        if (chosen is null)
        {
            foreach (var nearest in NearestTiers(ask.Tier))
            {
                chosen = FirstServing(ModelProfile.ToFlag(nearest), ask);
                if (chosen is not null)
                {
                    why = string.Create(CultureInfo.InvariantCulture,
                        $"no available model serves the {tierName} tier (providers: {string.Join(", ", _providers.Available)}); nearest tier {ComplexityTiers.Name(nearest)}");
                    break;
                }
            }
        }

        if (chosen is null)
        {
            chosen = Cheapest(ask, routableOnly: false);
            why = string.Create(CultureInfo.InvariantCulture,
                $"no available model serves any tier (providers: {string.Join(", ", _providers.Available)}); the cheapest available model that fits");
        }

        if (chosen is null)
        {
            ThrowNothingFits(ask);
        }

        var estimate = Estimate(chosen, ask);
        if (ask.MaxCost > 0 && estimate > ask.MaxCost)
        {
            var downgraded = BestWithinCap(ask);
            if (downgraded is null)
            {
                ThrowOverCap(ask, Cheapest(ask, routableOnly: true) ?? chosen);
            }

            why = string.Create(CultureInfo.InvariantCulture,
                $"{chosen.Definition.Id} would cost up to {Usd(estimate)} > max_cost_per_request_usd {Usd(ask.MaxCost)}; downgraded to the best model within the cap{(ask.Tier == ComplexityTier.Complex ? " (the caller's cost cap forces a cheaper model for a complex task)" : string.Empty)}");
            chosen = downgraded;
        }

        return (chosen.Definition, string.Create(CultureInfo.InvariantCulture, $"{tierName} (score {ask.Score}{ask.Via}) → {chosen.Definition.Id}: {why}"));
    }

    /// <summary>
    /// A dated snapshot id (<c>claude-sonnet-4-5-20250929</c>) without its date: clients such as Claude Code name
    /// snapshots, and a snapshot of a registered model is that model (its prices, its upstream id).
    /// </summary>
    private static string WithoutSnapshotDate(string id) =>
        id.Length > 9 && id[^9] == '-' && !id.AsSpan(id.Length - 8).ContainsAnyExceptInRange('0', '9') ? id[..^9] : id;

    private (ModelDefinition Model, string Reason) ChooseExplicit(string id, in Ask ask)
    {
        if (!_byId.TryGetValue(id, out var model) && !_byId.TryGetValue(WithoutSnapshotDate(id), out model))
        {
            GatewayErrors.ThrowInvalidArgument("model", string.Create(CultureInfo.InvariantCulture,
                $"unknown model '{(id.Length > 128 ? id[..128] + "…" : id)}'. Models available here: {KnownChatModels()}; or leave model empty to let the router choose."));
        }

        var definition = model.Definition;
        if (!model.IsChat)
        {
            GatewayErrors.ThrowInvalidArgument("model", $"'{id}' is an embedding model; it cannot answer a chat.");
        }

        if (!_providers.IsAvailable(definition.Provider))
        {
            GatewayErrors.ThrowFailedPrecondition(ProviderNotConfigured,
                $"Model {id} is served by provider '{definition.Provider}', which is not configured on this gateway (configured: {string.Join(", ", _providers.Available)}). Configure it, or leave model empty to let the router choose.");
        }

        if ((model.Capabilities & ask.Required) != ask.Required)
        {
            GatewayErrors.ThrowFailedPrecondition(NoModelFits,
                $"Model {id} lacks a required capability (required: {ask.Required}; it has: {string.Join(", ", definition.Capabilities)}).");
        }

        if (ask.NeededTokens > definition.ContextWindow)
        {
            GatewayErrors.ThrowFailedPrecondition(NoModelFits, string.Create(CultureInfo.InvariantCulture,
                $"Model {id} has a context window of {definition.ContextWindow} tokens; this request needs {ask.InputTokens} input + {ask.MaxOutputTokens} output tokens. Shorten the prompt or lower max_tokens."));
        }

        var estimate = Estimate(model, ask);
        if (ask.MaxCost > 0 && estimate > ask.MaxCost)
        {
            GatewayErrors.ThrowFailedPrecondition(NoModelFits, string.Create(CultureInfo.InvariantCulture,
                $"Model {id} would cost up to {Usd(estimate)} ({ask.InputTokens} input + {ask.MaxOutputTokens} output tokens), over max_cost_per_request_usd {Usd(ask.MaxCost)}. Raise the cap, lower max_tokens, or leave model empty to let the router choose."));
        }

        var tierName = ComplexityTiers.Name(ask.Tier);
        return (definition, string.Create(CultureInfo.InvariantCulture, $"{tierName} (score {ask.Score}) → {id}: the request named this model; routing bypassed"));
    }

    private bool Fits(ModelProfile model, in Ask ask) =>
        model.IsChat
        && (model.Capabilities & ask.Required) == ask.Required
        && ask.NeededTokens <= model.Definition.ContextWindow
        && _providers.IsAvailable(model.Definition.Provider);

    /// <summary>The first model in registry order that serves <paramref name="tier"/> and fits.</summary>
    private ModelProfile? FirstServing(TierFlags tier, in Ask ask)
    {
        foreach (var model in _models)
        {
            if ((model.Tiers & tier) != 0 && Fits(model, ask))
            {
                return model;
            }
        }

        return null;
    }

    /// <summary>The cheapest model that fits (by its estimate for this request); ties keep registry order.</summary>
    private ModelProfile? Cheapest(in Ask ask, bool routableOnly)
    {
        ModelProfile? best = null;
        var bestCost = double.MaxValue;
        foreach (var model in _models)
        {
            if ((routableOnly && model.Tiers == TierFlags.None) || !Fits(model, ask))
            {
                continue;
            }

            var cost = Estimate(model, ask);
            if (cost < bestCost)
            {
                best = model;
                bestCost = cost;
            }
        }

        return best;
    }

    /// <summary>The most expensive routable model (price as the proxy for capability) whose estimate is within the cap.</summary>
    private ModelProfile? BestWithinCap(in Ask ask)
    {
        ModelProfile? best = null;
        var bestCost = -1d;
        foreach (var model in _models)
        {
            if (model.Tiers == TierFlags.None || !Fits(model, ask))
            {
                continue;
            }

            var cost = Estimate(model, ask);
            if (cost <= ask.MaxCost && cost > bestCost)
            {
                best = model;
                bestCost = cost;
            }
        }

        return best;
    }

    private static double Estimate(ModelProfile model, in Ask ask) => model.Definition.Cost(ask.InputTokens, ask.MaxOutputTokens);

    /// <summary>Where to look when no available model serves a tier: up first (quality never hurts), down for complex.</summary>
    private static ComplexityTier[] NearestTiers(ComplexityTier tier) => tier switch
    {
        ComplexityTier.Simple => [ComplexityTier.Medium, ComplexityTier.Complex],
        ComplexityTier.Medium => [ComplexityTier.Complex, ComplexityTier.Simple],
        _ => [ComplexityTier.Medium, ComplexityTier.Simple],
    };

    /// <summary>What the caller asked for, plus what the request itself needs: tools need function calling, images vision.</summary>
    private static CapabilityFlags RequiredCapabilities(ChatRequest request)
    {
        var required = CapabilityFlags.None;
        if (request.Tools.Count > 0)
        {
            required |= CapabilityFlags.FunctionCalling;
        }

        foreach (var message in request.Messages)
        {
            if (message.HasImage)
            {
                required |= CapabilityFlags.Vision;
                break;
            }
        }

        var names = request.Routing.RequiredCapabilities;
        for (var i = 0; i < names.Count; i++)
        {
            if (!ModelProfile.TryParseCapability(names[i], out var flag))
            {
                GatewayErrors.ThrowInvalidArgument(string.Create(CultureInfo.InvariantCulture, $"routing.required_capabilities[{i}]"),
                    $"unknown capability '{names[i]}'; known: {string.Join(", ", ModelCapabilities.All.Order(StringComparer.Ordinal))}.");
            }

            required |= flag;
        }

        return required;
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void ThrowNothingFits(in Ask ask) =>
        GatewayErrors.ThrowFailedPrecondition(NoModelFits, string.Create(CultureInfo.InvariantCulture,
            $"No available model fits this request: required capabilities [{ask.Required}], {ask.InputTokens} input + {ask.MaxOutputTokens} output tokens (configured providers: {string.Join(", ", _providers.Available)}). Drop a capability, shorten the prompt or lower max_tokens."));

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowOverCap(in Ask ask, ModelProfile cheapest) =>
        GatewayErrors.ThrowFailedPrecondition(NoModelFits, string.Create(CultureInfo.InvariantCulture,
            $"No model fits max_cost_per_request_usd {Usd(ask.MaxCost)}: the cheapest capable model, {cheapest.Definition.Id}, would cost up to {Usd(Estimate(cheapest, ask))} ({ask.InputTokens} input + {ask.MaxOutputTokens} output tokens). Raise the cap, lower max_tokens or shorten the prompt."));

    private string KnownChatModels()
    {
        var ids = new List<string>(5);
        foreach (var model in _models)
        {
            // Only what this gateway can call: a registered model whose provider is not configured is no help to the caller.
            if (model.IsChat && ids.Count < 5 && _providers.IsAvailable(model.Definition.Provider))
            {
                ids.Add(model.Definition.Id);
            }
        }

        return string.Join(", ", ids);
    }

    private static string Usd(double value) => "$" + value.ToString("0.########", CultureInfo.InvariantCulture);

    private readonly record struct Ask(ComplexityTier Tier, int Score, CapabilityFlags Required, int InputTokens, int MaxOutputTokens, double MaxCost, bool PreferCheaper)
    {
        public long NeededTokens => (long)InputTokens + MaxOutputTokens;

        /// <summary>How a strategy other than the heuristic changed the tier, for the reason; null when it did not.</summary>
        public string? Via { get; init; }
    }
}

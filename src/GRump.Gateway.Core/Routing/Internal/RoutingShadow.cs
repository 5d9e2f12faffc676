using System.Globalization;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using GRump.Gateway.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GRump.Gateway.Routing.Internal;

/// <summary>
/// Shadow mode: every routed decision is decided again by <c>Routing:Shadow</c> on a background reader, off the request
/// path (the embedding costs milliseconds the caller should not wait for), and a different tier is counted
/// (<c>routing_disagreement_total</c>, by both strategies and both tiers) and logged — what switching would change,
/// before switching. Prompts are logged by fingerprint only, unless <c>Routing:ShadowLogsText</c>.
/// </summary>
internal sealed class RoutingShadow : BackgroundService
{
    private const int LoggedChars = 120;

    private readonly ShadowQueue _queue = new();
    private readonly TierClassifier _classifier;
    private readonly RoutingMetrics _metrics;
    private readonly ILogger<RoutingShadow> _logger;
    private readonly RoutingStrategy _active;
    private readonly string _activeName;
    private readonly string _shadowName;
    private readonly bool _logText;

    public RoutingShadow(TierClassifier classifier, RoutingMetrics metrics, IOptions<RoutingStrategyOptions> options, ILogger<RoutingShadow> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _classifier = classifier;
        _metrics = metrics;
        _logger = logger;
        _active = RoutingStrategies.Parse(options.Value.Strategy);
        Enabled = RoutingStrategies.TryParse(options.Value.Shadow, out var shadow) && shadow != _active;
        Strategy = shadow;
        _activeName = RoutingStrategies.Name(_active);
        _shadowName = RoutingStrategies.Name(shadow);
        _logText = options.Value.ShadowLogsText;
    }

    /// <summary>False when no shadow strategy is configured: <see cref="Observe"/> is then never called.</summary>
    public bool Enabled { get; }

    public RoutingStrategy Strategy { get; }

    /// <summary>Queues a routed decision for comparison; never blocks (a full queue drops it, counted).</summary>
    public void Observe(RoutingPrompt prompt, HeuristicSignals signals, ComplexityTier activeTier)
    {
        if (!_queue.TryEnqueue(new ShadowItem(prompt, signals, activeTier)))
        {
            _metrics.RecordShadowDropped();
            RoutingLog.ShadowDropped(_logger);
        }
    }

    /// <summary>
    /// Decides one item with the shadow strategy and records the comparison (the reader's step; tests call it directly).
    /// Not recorded while the shadow's learned models are still training: a half-trained shadow says nothing about a switch.
    /// </summary>
    internal TierVerdict Compare(in ShadowItem item)
    {
        var verdict = _classifier.Decide(Strategy, item.Prompt, item.Signals);
        if (verdict.Unavailable || verdict.Loading)
        {
            return verdict;
        }

        var activeTier = ComplexityTiers.Name(item.ActiveTier);
        var shadowTier = ComplexityTiers.Name(verdict.Tier);
        _metrics.RecordShadow(_activeName, _shadowName, activeTier, shadowTier);
        if (verdict.Tier != item.ActiveTier)
        {
            var task = item.Prompt.Text;
            var fingerprint = XxHash64.HashToUInt64(MemoryMarshal.AsBytes(task.AsSpan())).ToString("x16", CultureInfo.InvariantCulture);
            var text = _logText ? ": " + (task.Length > LoggedChars ? task[..LoggedChars] + "…" : task) : string.Empty;
            RoutingLog.ShadowDisagreement(_logger, _activeName, activeTier, _shadowName, shadowTier, item.Signals.Score,
                verdict.Probabilities?.Complex ?? float.NaN, verdict.NearestId ?? "-", fingerprint, text);
        }

        return verdict;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Enabled)
        {
            return;
        }

        // Off the start path: the shadow's exemplars load in the background like everything it does.
        await Task.Yield();
        try
        {
            await foreach (var item in _queue.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                Compare(item);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: uncompared decisions are a sample lost, nothing more.
        }
        catch (Exception exception)
        {
            RoutingLog.ShadowFailed(_logger, exception);
        }
    }

    public override Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Complete();
        return base.StopAsync(cancellationToken);
    }
}

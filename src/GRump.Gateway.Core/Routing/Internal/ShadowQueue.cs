using System.Threading.Channels;

namespace GRump.Gateway.Routing.Internal;

/// <summary>A routed decision waiting for the shadow strategy: the classifier text, the heuristic's signals, the active verdict.</summary>
internal readonly record struct ShadowItem(RoutingPrompt Prompt, HeuristicSignals Signals, ComplexityTier ActiveTier);

/// <summary>
/// Decisions for the shadow strategy. Writers (request threads) never wait: a full queue drops the comparison, which is
/// counted — the shadow is a sample, never back-pressure on routing. One reader.
/// </summary>
internal sealed class ShadowQueue
{
    public const int Capacity = 1_024;

    private readonly Channel<ShadowItem> _channel = Channel.CreateBounded<ShadowItem>(new BoundedChannelOptions(Capacity)
    {
        FullMode = BoundedChannelFullMode.Wait,
        SingleReader = true,
        SingleWriter = false,
        AllowSynchronousContinuations = false,
    });

    public int Count => _channel.Reader.Count;

    /// <summary>False when the queue is full or completed.</summary>
    public bool TryEnqueue(in ShadowItem item) => _channel.Writer.TryWrite(item);

    public IAsyncEnumerable<ShadowItem> ReadAllAsync(CancellationToken cancellationToken) => _channel.Reader.ReadAllAsync(cancellationToken);

    /// <summary>No more writes; the reader finishes what is queued.</summary>
    public void Complete() => _channel.Writer.TryComplete();
}

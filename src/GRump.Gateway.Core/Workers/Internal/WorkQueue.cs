using System.Threading.Channels;

namespace GRump.Gateway.Workers.Internal;

/// <summary>The pool's bounded queue: writers never wait (a full queue is an answer), workers drain it on shutdown.</summary>
internal sealed class WorkQueue
{
    private readonly Channel<WorkItem> _channel;

    public WorkQueue(int capacity)
    {
        Capacity = capacity;
        _channel = Channel.CreateBounded<WorkItem>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = false,
            SingleWriter = false,
            AllowSynchronousContinuations = false,
        });
    }

    public int Capacity { get; }

    public int Count => _channel.Reader.Count;

    /// <summary>False when the queue is full or completed.</summary>
    public bool TryEnqueue(WorkItem item) => _channel.Writer.TryWrite(item);

    public IAsyncEnumerable<WorkItem> ReadAllAsync(CancellationToken cancellationToken) => _channel.Reader.ReadAllAsync(cancellationToken);

    /// <summary>No more writes; readers finish what is queued.</summary>
    private volatile bool _completed;

    public bool IsCompleted => _completed;

    public void Complete()
    {
        _completed = true;
        _channel.Writer.TryComplete();
    }
}

namespace GRump.Gateway.Workers.Internal;

/// <summary>One queued task. The state machine makes "run" and "abandon" (timeout, cancel) mutually exclusive.</summary>
internal abstract class WorkItem
{
    private const int Pending = 0;
    private const int Running = 1;
    private const int Abandoned = 2;

    private int _state;

    protected WorkItem(WorkKind kind, long enqueuedAt, CancellationToken cancellationToken)
    {
        Kind = kind;
        EnqueuedAt = enqueuedAt;
        CancellationToken = cancellationToken;
    }

    public WorkKind Kind { get; }

    public long EnqueuedAt { get; }

    public CancellationToken CancellationToken { get; }

    /// <summary>Claims the item for a worker; false when the caller already gave up on it.</summary>
    public bool TryStart() => !CancellationToken.IsCancellationRequested && Interlocked.CompareExchange(ref _state, Running, Pending) == Pending;

    /// <summary>Marks the item as not wanted any more; false when a worker already started it.</summary>
    public bool TryAbandon() => Interlocked.CompareExchange(ref _state, Abandoned, Pending) == Pending;

    /// <summary>Runs the work and keeps its result or exception; never throws. True when it succeeded.</summary>
    public abstract bool Execute();

    /// <summary>Hands the kept result (or exception) to the caller — after the pool counted it, so a caller never sees stale stats.</summary>
    public abstract void Complete();

    /// <summary>Completes the caller's task as cancelled (used when the pool shuts down or the caller left).</summary>
    public abstract void Cancel();
}

internal sealed class WorkItem<TState, TResult> : WorkItem
{
    private readonly TState _state;
    private readonly Func<TState, TResult> _work;
    private readonly TaskCompletionSource<TResult> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public WorkItem(WorkKind kind, TState state, Func<TState, TResult> work, long enqueuedAt, CancellationToken cancellationToken)
        : base(kind, enqueuedAt, cancellationToken)
    {
        _state = state;
        _work = work;
    }

    public Task<TResult> Task => _completion.Task;

    private TResult? _result;
    private Exception? _exception;

    public override bool Execute()
    {
        try
        {
            _result = _work(_state);
            return true;
        }
#pragma warning disable CA1031 // The exception belongs to the caller: it is handed over, not swallowed.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            _exception = exception;
            return false;
        }
    }

    public override void Complete()
    {
        if (_exception is not null)
        {
            _completion.TrySetException(_exception);
        }
        else
        {
            _completion.TrySetResult(_result!);
        }
    }

    public override void Cancel() => _completion.TrySetCanceled(CancellationToken.IsCancellationRequested ? CancellationToken : new CancellationToken(true));
}

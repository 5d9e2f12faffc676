using System.Collections.Concurrent;
using GRump.Fakes;
using GRump.Gateway.Errors;
using GRump.Gateway.Providers;

namespace GRump.Gateway.Tests.Embeddings;

/// <summary>
/// An in-process embeddings provider for coalescer unit tests: records every batch, answers
/// <see cref="FakeUpstream.VectorFor"/> for each text (so mix-ups show), and can hold or fail chosen batches.
/// </summary>
internal sealed class RecordingEmbeddingProvider(int maxBatchSize = 256) : IEmbeddingProvider
{
    private readonly ConcurrentQueue<IReadOnlyList<string>> _batches = new();
    private readonly ConcurrentQueue<Func<IReadOnlyList<string>, Task>> _script = new();
    private TaskCompletionSource _called = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Name => "recording";

    public int MaxBatchSize => maxBatchSize;

    public IReadOnlyList<IReadOnlyList<string>> Batches => [.. _batches];

    /// <summary>Completes when the next batch arrives (re-armed after each).</summary>
    public Task NextCall => Volatile.Read(ref _called).Task;

    /// <summary>The next batch awaits this task first (throwing makes the batch fail).</summary>
    public void Enqueue(Func<IReadOnlyList<string>, Task> step) => _script.Enqueue(step);

    public static Func<IReadOnlyList<string>, Task> Fail(GatewayErrorKind kind = GatewayErrorKind.Unavailable) =>
        _ => Task.FromException(new GatewayException(kind, "The test upstream failed this batch."));

    public async Task<EmbeddingBatchResult> EmbedAsync(string model, IReadOnlyList<string> inputs, CancellationToken cancellationToken)
    {
        _batches.Enqueue([.. inputs]);
        Interlocked.Exchange(ref _called, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        if (_script.TryDequeue(out var step))
        {
            await step(inputs).WaitAsync(cancellationToken);
        }
        return new EmbeddingBatchResult([.. inputs.Select(t => FakeUpstream.VectorFor(t))], inputs.Count * 10L);
    }
}

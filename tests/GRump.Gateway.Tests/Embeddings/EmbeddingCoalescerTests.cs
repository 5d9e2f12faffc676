using GRump.Fakes;
using GRump.Gateway.Diagnostics;
using GRump.Gateway.Embeddings;
using GRump.Gateway.Embeddings.Internal;
using GRump.Gateway.Errors;
using GRump.Gateway.Tests.Infrastructure;
using GRump.Gateway.Tokens;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace GRump.Gateway.Tests.Embeddings;

/// <summary>The coalescer alone, over an in-process provider and a fake clock: flush rules, dedupe, failure, cancellation, backpressure.</summary>
public sealed class EmbeddingCoalescerTests : IDisposable
{
    private readonly TestMeterFactory _meters = new();
    private readonly FakeTimeProvider _time = new();
    private readonly RecordingEmbeddingProvider _provider;

    public EmbeddingCoalescerTests() => _provider = new RecordingEmbeddingProvider();

    public void Dispose() => _meters.Dispose();

    private EmbeddingCoalescer Create(EmbeddingOptions? options = null, RecordingEmbeddingProvider? provider = null, SemaphoreSlim? inFlight = null) =>
        new(provider ?? _provider, "test-model", options ?? new EmbeddingOptions(), inFlight, new EmbeddingMetrics(_meters), _time, NullLogger.Instance);

    private static void AssertBatches(RecordingEmbeddingProvider provider, params string[][] expected)
    {
        var batches = provider.Batches;
        Assert.Equal(expected.Length, batches.Count);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], batches[i]);
        }
    }

    private static void AssertVectors(IEnumerable<string> texts, IReadOnlyList<float[]> vectors) =>
        Assert.Equal(texts.Select(t => FakeUpstream.VectorFor(t)), vectors);

    [Fact]
    public async Task Embed_ConcurrentCallers_FullBatchesAtCap_RestAfterMaxWait_EachGetsItsVectors()
    {
        // Arrange
        var ct = TestContext.Current.CancellationToken;
        var provider = new RecordingEmbeddingProvider(maxBatchSize: 4);
        using var sizes = new MetricCollector<int>(_meters, GatewayTelemetry.Name, GatewayTelemetry.Metrics.BatchSize);
        await using var coalescer = Create(provider: provider);
        var texts = Enumerable.Range(0, 9).Select(i => $"text {i}").ToArray();

        // Act: nine one-text callers plus one caller with three texts, one of them shared
        var calls = texts.Select(t => coalescer.EmbedAsync([t], ct)).ToList();
        var multi = coalescer.EmbedAsync(["multi a", "text 8", "multi b"], ct);
        // Two full batches go at once; the remainder ("text 8" once for two callers) waits for max-wait.
        _time.Advance(TimeSpan.FromMilliseconds(5));
        var results = await Task.WhenAll(calls).DefaultTimeout();
        var multiResult = await multi.DefaultTimeout();

        // Assert
        Assert.Equal(4, coalescer.Cap);
        for (var i = 0; i < texts.Length; i++)
        {
            AssertVectors([texts[i]], results[i].Vectors);
        }
        AssertVectors(["multi a", "text 8", "multi b"], multiResult.Vectors);
        AssertBatches(provider, [.. texts[..4]], [.. texts[4..8]], ["text 8", "multi a", "multi b"]);
        Assert.Equal([4, 4, 3], sizes.GetMeasurementSnapshot().Select(m => m.Value));
    }

    [Fact]
    public async Task Embed_SingleCaller_FlushesWhenTheOldestTextWaitedMaxWait()
    {
        // Arrange
        var ct = TestContext.Current.CancellationToken;
        await using var coalescer = Create(new EmbeddingOptions { MaxWait = TimeSpan.FromMilliseconds(5) });
        var called = _provider.NextCall;

        // Act
        var call = coalescer.EmbedAsync(["lonely"], ct);
        _time.Advance(TimeSpan.FromMilliseconds(4));
        var before = call.IsCompleted || called.IsCompleted;
        _time.Advance(TimeSpan.FromMilliseconds(1));
        var result = await call.DefaultTimeout();

        // Assert
        Assert.False(before);
        AssertVectors(["lonely"], result.Vectors);
        Assert.Equal(10, result.InputTokens);
        Assert.Single(_provider.Batches);
    }

    [Fact]
    public async Task Embed_MaxWaitZero_FlushesAsSoonAsTheQueueIsIdle()
    {
        // Arrange
        await using var coalescer = Create(new EmbeddingOptions { MaxWait = TimeSpan.Zero });

        // Act: no time passes on the fake clock
        var result = await coalescer.EmbedAsync(["now"], TestContext.Current.CancellationToken).DefaultTimeout();

        // Assert
        AssertVectors(["now"], result.Vectors);
    }

    [Fact]
    public async Task Embed_TokenBudget_SplitsTheBatch_AndAnOversizedTextGoesAlone()
    {
        // Arrange
        var ct = TestContext.Current.CancellationToken;
        string[] texts = ["the first text of three", "a second, somewhat longer text", "third", string.Join(' ', Enumerable.Repeat("an oversized text well beyond the small budget of this test", 5))];
        var budget = TokenCounter.Shared.Count(texts[0]) + TokenCounter.Shared.Count(texts[1]);
        Assert.True(TokenCounter.Shared.Count(texts[3]) > budget);
        await using var coalescer = Create(new EmbeddingOptions { MaxBatchTokens = budget });

        // Act: texts 0 + 1 fill the budget exactly; text 3 would overflow text 2's batch, so text 2 goes alone and text 3,
        // over budget by itself, goes alone too. No batch waits for max-wait (the fake clock never moves).
        var result = await coalescer.EmbedAsync(texts, ct).DefaultTimeout();

        // Assert
        AssertVectors(texts, result.Vectors);
        AssertBatches(_provider, [texts[0], texts[1]], [texts[2]], [texts[3]]);
    }

    [Fact]
    public async Task Embed_IdenticalTextsQueuedOrInFlight_SentOnce_EveryWaiterGetsTheVector()
    {
        // Arrange
        var ct = TestContext.Current.CancellationToken;
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _provider.Enqueue(_ => hold.Task);
        await using var coalescer = Create();
        var called = _provider.NextCall;

        // Act: "same" goes upstream and is held there; more callers ask for it, and for "other" twice
        var first = coalescer.EmbedAsync(["same"], ct);
        _time.Advance(TimeSpan.FromMilliseconds(5));
        await called.DefaultTimeout();
        var followers = Enumerable.Range(0, 5).Select(_ => coalescer.EmbedAsync(["same"], ct)).ToList();
        var mixed = coalescer.EmbedAsync(["other", "other", "same"], ct);
        var secondCall = _provider.NextCall;
        _time.Advance(TimeSpan.FromMilliseconds(5));
        await secondCall.DefaultTimeout();
        hold.SetResult();
        var results = await Task.WhenAll([first, .. followers]).DefaultTimeout();

        // Assert
        Assert.All(results, r => AssertVectors(["same"], r.Vectors));
        AssertVectors(["other", "other", "same"], (await mixed.DefaultTimeout()).Vectors);
        AssertBatches(_provider, ["same"], ["other"]);
    }

    [Fact]
    public async Task Embed_BatchFails_FailsEachWaiter_AndTheNextBatchSucceeds()
    {
        // Arrange
        var ct = TestContext.Current.CancellationToken;
        _provider.Enqueue(RecordingEmbeddingProvider.Fail());
        await using var coalescer = Create();

        // Act
        var doomed = Enumerable.Range(0, 5).Select(i => coalescer.EmbedAsync([$"doomed {i}"], ct)).ToList();
        _time.Advance(TimeSpan.FromMilliseconds(5));
        var errors = new List<GatewayException>();
        foreach (var call in doomed)
        {
            errors.Add(await Assert.ThrowsAsync<GatewayException>(() => call.DefaultTimeout()));
        }
        var later = coalescer.EmbedAsync(["later"], ct);
        _time.Advance(TimeSpan.FromMilliseconds(5));
        var result = await later.DefaultTimeout();

        // Assert
        Assert.All(errors, e => Assert.Equal(GatewayErrorKind.Unavailable, e.Kind));
        AssertVectors(["later"], result.Vectors);
        Assert.Equal(2, _provider.Batches.Count);
    }

    [Fact]
    public async Task Embed_CallerCancelsBeforeFlush_ItsTextIsNotSent()
    {
        // Arrange
        var ct = TestContext.Current.CancellationToken;
        await using var coalescer = Create();
        using var leaving = CancellationTokenSource.CreateLinkedTokenSource(ct);

        // Act
        var cancelled = coalescer.EmbedAsync(["leaves early"], leaving.Token);
        var staying = coalescer.EmbedAsync(["stays"], ct);
        await leaving.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.DefaultTimeout());
        _time.Advance(TimeSpan.FromMilliseconds(5));
        var result = await staying.DefaultTimeout();

        // Assert
        AssertVectors(["stays"], result.Vectors);
        AssertBatches(_provider, ["stays"]);
    }

    [Fact]
    public async Task Embed_QueueFull_ResourceExhausted_AcceptedCallsStillComplete()
    {
        // Arrange: cap 2, one batch in flight per provider (held), room for 4 queued texts
        var ct = TestContext.Current.CancellationToken;
        var provider = new RecordingEmbeddingProvider(maxBatchSize: 2);
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        provider.Enqueue(_ => hold.Task);
        using var inFlight = new SemaphoreSlim(1);
        await using var coalescer = Create(new EmbeddingOptions { MaxWait = TimeSpan.Zero, QueueCapacity = 4 }, provider, inFlight);
        var called = provider.NextCall;
        var accepted = new List<(string Text, Task<(IReadOnlyList<float[]> Vectors, long InputTokens)> Call)> { ("t0", coalescer.EmbedAsync(["t0"], ct)) };
        await called.DefaultTimeout();

        // Act: at most 2 (forming batch) + 4 (queue) more fit while the first batch is held
        GatewayException? rejected = null;
        for (var i = 1; i <= 20 && rejected is null; i++)
        {
            var call = coalescer.EmbedAsync([$"t{i}"], ct);
            if (call.IsFaulted)
            {
                rejected = Assert.IsType<GatewayException>(call.Exception!.InnerException);
            }
            else
            {
                accepted.Add(($"t{i}", call));
            }
        }
        hold.SetResult();
        var results = await Task.WhenAll(accepted.Select(a => a.Call)).DefaultTimeout();

        // Assert
        Assert.NotNull(rejected);
        Assert.Equal(GatewayErrorKind.ResourceExhausted, rejected.Kind);
        Assert.Equal("QUEUE_FULL", rejected.Reason);
        Assert.InRange(accepted.Count, 5, 7);
        for (var i = 0; i < accepted.Count; i++)
        {
            AssertVectors([accepted[i].Text], results[i].Vectors);
        }
    }

    [Fact]
    public async Task Drain_SendsWhatIsQueued_ThenRejectsNewCalls()
    {
        // Arrange
        var ct = TestContext.Current.CancellationToken;
        await using var coalescer = Create(new EmbeddingOptions { MaxWait = TimeSpan.FromSeconds(5) });
        var queued = coalescer.EmbedAsync(["queued before shutdown"], ct);

        // Act
        await coalescer.DrainAsync(ct).DefaultTimeout();
        var late = coalescer.EmbedAsync(["too late"], ct);

        // Assert
        AssertVectors(["queued before shutdown"], (await queued.DefaultTimeout()).Vectors);
        var error = await Assert.ThrowsAsync<GatewayException>(() => late.DefaultTimeout());
        Assert.Equal(GatewayErrorKind.Unavailable, error.Kind);
    }
}


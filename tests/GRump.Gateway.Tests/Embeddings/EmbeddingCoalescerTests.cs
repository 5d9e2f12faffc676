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

/// <summary>
/// The coalescer alone, over an in-process provider and a fake clock: continuous batching (at once when the upstream is
/// idle, accumulated while it is busy), dedupe, failure, cancellation, backpressure. Tests that need texts to accumulate
/// first hold a batch upstream (<see cref="HoldUpstreamAsync"/>).
/// </summary>
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

    /// <summary>Sends one text and holds its batch upstream until the returned source completes: the upstream is busy.</summary>
    private static async Task<(TaskCompletionSource Release, Task Call)> HoldUpstreamAsync(EmbeddingCoalescer coalescer, RecordingEmbeddingProvider provider, CancellationToken ct)
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        provider.Enqueue(_ => release.Task);
        var called = provider.NextCall;
        var call = coalescer.EmbedAsync(["warm-up"], ct);
        await called.DefaultTimeout();
        return (release, call);
    }

    /// <summary>
    /// One-text calls (<paramref name="text"/> of 0, 1, …) until one is refused: the first is sent and reaches the
    /// provider (which the caller set up to hold it) before the others are made. The refusal, or null after 20 accepted.
    /// </summary>
    private static async Task<(List<(string Text, Task<(IReadOnlyList<float[]> Vectors, long InputTokens)> Call)> Accepted, GatewayException? Rejected)> CallUntilRefusedAsync(
        EmbeddingCoalescer coalescer, RecordingEmbeddingProvider provider, Func<int, string> text, CancellationToken ct)
    {
        var called = provider.NextCall;
        var accepted = new List<(string Text, Task<(IReadOnlyList<float[]> Vectors, long InputTokens)> Call)> { (text(0), coalescer.EmbedAsync([text(0)], ct)) };
        await called.DefaultTimeout();
        for (var i = 1; i <= 20; i++)
        {
            var call = coalescer.EmbedAsync([text(i)], ct);
            if (call.IsFaulted)
            {
                return (accepted, Assert.IsType<GatewayException>(call.Exception!.InnerException));
            }
            accepted.Add((text(i), call));
        }
        return (accepted, null);
    }

    [Fact]
    public async Task Embed_UpstreamIdle_ALoneCallerGoesAtOnce()
    {
        // Arrange
        await using var coalescer = Create(new EmbeddingOptions { MaxWait = TimeSpan.FromSeconds(5) });

        // Act: no time passes on the fake clock, and nothing else is in flight
        var result = await coalescer.EmbedAsync(["lonely"], TestContext.Current.CancellationToken).DefaultTimeout();

        // Assert
        AssertVectors(["lonely"], result.Vectors);
        Assert.Equal(10, result.InputTokens);
        AssertBatches(_provider, ["lonely"]);
    }

    [Fact]
    public async Task Embed_ConcurrentCallers_FullBatchesAtCap_RestWhenTheUpstreamIsIdleAgain_EachGetsItsVectors()
    {
        // Arrange: a batch is held upstream, so new texts accumulate
        var ct = TestContext.Current.CancellationToken;
        var provider = new RecordingEmbeddingProvider(maxBatchSize: 4);
        using var sizes = new MetricCollector<int>(_meters, GatewayTelemetry.Name, GatewayTelemetry.Metrics.BatchSize);
        await using var coalescer = Create(provider: provider);
        var (release, warm) = await HoldUpstreamAsync(coalescer, provider, ct);
        var texts = Enumerable.Range(0, 9).Select(i => $"text {i}").ToArray();

        // Act: nine one-text callers plus one caller with three texts, one of them shared. Two full batches go at once;
        // the remainder ("text 8" once for two callers) waits until the held batch comes back.
        var calls = texts.Select(t => coalescer.EmbedAsync([t], ct)).ToList();
        var multi = coalescer.EmbedAsync(["multi a", "text 8", "multi b"], ct);
        while (true)
        {
            // Taken before the count: a batch that arrives in between completes it.
            var next = provider.NextCall;
            if (provider.Batches.Count >= 3)
            {
                break;
            }

            await next.DefaultTimeout();
        }

        var beforeRelease = provider.Batches.Count;
        release.SetResult();
        var results = await Task.WhenAll(calls).DefaultTimeout();
        var multiResult = await multi.DefaultTimeout();
        await warm.DefaultTimeout();

        // Assert
        Assert.Equal(4, coalescer.Cap);
        Assert.Equal(3, beforeRelease);
        for (var i = 0; i < texts.Length; i++)
        {
            AssertVectors([texts[i]], results[i].Vectors);
        }

        AssertVectors(["multi a", "text 8", "multi b"], multiResult.Vectors);
        AssertBatches(provider, ["warm-up"], [.. texts[..4]], [.. texts[4..8]], ["text 8", "multi a", "multi b"]);
        Assert.Equal([1, 4, 4, 3], sizes.GetMeasurementSnapshot().Select(m => m.Value));
    }

    [Fact]
    public async Task Embed_UpstreamBusy_TextWaitsForMaxWaitAtMost()
    {
        // Arrange
        var ct = TestContext.Current.CancellationToken;
        await using var coalescer = Create(new EmbeddingOptions { MaxWait = TimeSpan.FromMilliseconds(5) });
        var (release, warm) = await HoldUpstreamAsync(coalescer, _provider, ct);
        var called = _provider.NextCall;

        // Act
        var call = coalescer.EmbedAsync(["patient"], ct);
        _time.Advance(TimeSpan.FromMilliseconds(4));
        var before = call.IsCompleted || called.IsCompleted;
        _time.Advance(TimeSpan.FromMilliseconds(1));
        var result = await call.DefaultTimeout();
        release.SetResult();
        await warm.DefaultTimeout();

        // Assert: sent after 5 ms although the first batch was still out
        Assert.False(before);
        AssertVectors(["patient"], result.Vectors);
        AssertBatches(_provider, ["warm-up"], ["patient"]);
    }

    [Fact]
    public async Task Embed_AnsweredCohortAsksAgain_RidesTogether_OrGoesAfterMaxWait()
    {
        // Arrange: three callers ride one batch (they queued behind a held one)
        var ct = TestContext.Current.CancellationToken;
        await using var coalescer = Create(new EmbeddingOptions { MaxWait = TimeSpan.FromMilliseconds(5) });
        var (release, warm) = await HoldUpstreamAsync(coalescer, _provider, ct);
        var cohort = new[] { coalescer.EmbedAsync(["c1"], ct), coalescer.EmbedAsync(["c2"], ct), coalescer.EmbedAsync(["c3"], ct) };
        release.SetResult();
        await Task.WhenAll([warm, .. cohort]).DefaultTimeout();

        // Act: under load the three ask again one by one; the upstream is idle, but the first does not go alone — the batch
        // leaves when as many callers as came back are in it. Then a lone caller waits at most max-wait.
        var again = new[] { coalescer.EmbedAsync(["d1"], ct), coalescer.EmbedAsync(["d2"], ct), coalescer.EmbedAsync(["d3"], ct) };
        await Task.WhenAll(again).DefaultTimeout();
        var called = _provider.NextCall;
        var lone = coalescer.EmbedAsync(["e1"], ct);
        _time.Advance(TimeSpan.FromMilliseconds(4));
        var early = called.IsCompleted;
        _time.Advance(TimeSpan.FromMilliseconds(1));
        await lone.DefaultTimeout();

        // Assert
        Assert.False(early);
        AssertBatches(_provider, ["warm-up"], ["c1", "c2", "c3"], ["d1", "d2", "d3"], ["e1"]);
    }

    [Fact]
    public async Task Embed_MaxWaitZero_FlushesAsSoonAsTheQueueIsIdle()
    {
        // Arrange
        var ct = TestContext.Current.CancellationToken;
        await using var coalescer = Create(new EmbeddingOptions { MaxWait = TimeSpan.Zero });
        var (release, warm) = await HoldUpstreamAsync(coalescer, _provider, ct);

        // Act: no time passes on the fake clock; the upstream is still busy
        var result = await coalescer.EmbedAsync(["now"], ct).DefaultTimeout();
        release.SetResult();
        await warm.DefaultTimeout();

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
        var (release, warm) = await HoldUpstreamAsync(coalescer, _provider, ct);

        // Act: while the upstream is busy, texts 0 + 1 fill the budget exactly; text 3 would overflow text 2's batch, so
        // text 2 goes alone and text 3, over budget by itself, goes alone too. No batch waits (the fake clock never moves).
        var result = await coalescer.EmbedAsync(texts, ct).DefaultTimeout();
        release.SetResult();
        await warm.DefaultTimeout();

        // Assert
        AssertVectors(texts, result.Vectors);
        AssertBatches(_provider, ["warm-up"], [texts[0], texts[1]], [texts[2]], [texts[3]]);
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
        await using var coalescer = Create();
        var (release, warm) = await HoldUpstreamAsync(coalescer, _provider, ct);
        _provider.Enqueue(RecordingEmbeddingProvider.Fail());

        // Act: five callers wait behind the held batch, then go together after max-wait, and that batch fails
        var doomed = Enumerable.Range(0, 5).Select(i => coalescer.EmbedAsync([$"doomed {i}"], ct)).ToList();
        _time.Advance(TimeSpan.FromMilliseconds(5));
        var errors = new List<GatewayException>();
        foreach (var call in doomed)
        {
            errors.Add(await Assert.ThrowsAsync<GatewayException>(() => call.DefaultTimeout()));
        }
        release.SetResult();
        await warm.DefaultTimeout();
        var later = coalescer.EmbedAsync(["later"], ct);
        _time.Advance(TimeSpan.FromMilliseconds(5));
        var result = await later.DefaultTimeout();

        // Assert
        Assert.All(errors, e => Assert.Equal(GatewayErrorKind.Unavailable, e.Kind));
        AssertVectors(["later"], result.Vectors);
        AssertBatches(_provider, ["warm-up"], [.. Enumerable.Range(0, 5).Select(i => $"doomed {i}")], ["later"]);
    }

    [Fact]
    public async Task Embed_CallerCancelsBeforeFlush_ItsTextIsNotSent()
    {
        // Arrange
        var ct = TestContext.Current.CancellationToken;
        await using var coalescer = Create();
        var (release, warm) = await HoldUpstreamAsync(coalescer, _provider, ct);
        using var leaving = CancellationTokenSource.CreateLinkedTokenSource(ct);

        // Act: both wait behind the held batch; one leaves before they go
        var cancelled = coalescer.EmbedAsync(["leaves early"], leaving.Token);
        var staying = coalescer.EmbedAsync(["stays"], ct);
        await leaving.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.DefaultTimeout());
        _time.Advance(TimeSpan.FromMilliseconds(5));
        var result = await staying.DefaultTimeout();
        release.SetResult();
        await warm.DefaultTimeout();

        // Assert
        AssertVectors(["stays"], result.Vectors);
        AssertBatches(_provider, ["warm-up"], ["stays"]);
    }

    [Theory]
    [InlineData(4, int.MaxValue)] // room for 4 texts
    [InlineData(16_384, 30)] // room for 30 characters: four 7-character texts
    public async Task Embed_QueueFull_ResourceExhausted_AcceptedCallsStillComplete_RoomComesBack(int queueCapacity, int queueMaxChars)
    {
        // Arrange: cap 2, one batch in flight per provider (held)
        var ct = TestContext.Current.CancellationToken;
        var provider = new RecordingEmbeddingProvider(maxBatchSize: 2);
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        provider.Enqueue(_ => hold.Task);
        using var inFlight = new SemaphoreSlim(1);
        await using var coalescer = Create(new EmbeddingOptions { MaxWait = TimeSpan.Zero, QueueCapacity = queueCapacity, QueueMaxChars = queueMaxChars }, provider, inFlight);

        // Act: at most 2 (forming batch) + 4 (queue) more fit while the first batch is held
        var (accepted, rejected) = await CallUntilRefusedAsync(coalescer, provider, i => $"text-{i:00}", ct);
        Assert.InRange(coalescer.QueuedChars, 1, 30);
        hold.SetResult();
        var results = await Task.WhenAll(accepted.Select(a => a.Call)).DefaultTimeout();
        var after = await coalescer.EmbedAsync(["after"], ct).DefaultTimeout();

        // Assert
        Assert.NotNull(rejected);
        Assert.Equal(GatewayErrorKind.ResourceExhausted, rejected.Kind);
        Assert.Equal("QUEUE_FULL", rejected.Reason);
        Assert.InRange(accepted.Count, 5, 7);
        for (var i = 0; i < accepted.Count; i++)
        {
            AssertVectors([accepted[i].Text], results[i].Vectors);
        }
        AssertVectors(["after"], after.Vectors);
        Assert.Equal(0, coalescer.QueuedChars);
    }

    [Fact]
    public async Task Embed_MoreCharactersThanTheQueueHolds_ResourceExhausted_NothingSent()
    {
        // Arrange: room for 16 characters of text
        var ct = TestContext.Current.CancellationToken;
        await using var coalescer = Create(new EmbeddingOptions { MaxWait = TimeSpan.Zero, QueueMaxChars = 16 });

        // Act
        var tooLong = coalescer.EmbedAsync(["0123456789", "abcdefg"], ct);
        var fits = await coalescer.EmbedAsync(["0123456789", "abcdef"], ct).DefaultTimeout();

        // Assert: the 17 characters never reached the queue; the room they asked for is free again
        var error = Assert.IsType<GatewayException>(tooLong.Exception?.InnerException);
        Assert.Equal(GatewayErrorKind.ResourceExhausted, error.Kind);
        Assert.Equal("QUEUE_FULL", error.Reason);
        Assert.Contains("16 characters", error.Message, StringComparison.Ordinal);
        // Only the accepted call's texts went upstream (in one batch or two: the reader may send the first text alone).
        Assert.Equal(["0123456789", "abcdef"], _provider.Batches.SelectMany(b => b));
        AssertVectors(["0123456789", "abcdef"], fits.Vectors);
        Assert.Equal(0, coalescer.QueuedChars);
    }

    [Fact]
    public async Task Embed_ManyTextsRefusedPartWay_GivesBackEveryCharacter()
    {
        // Arrange: cap 2, one batch in flight per provider (held), room for 4 queued texts
        var ct = TestContext.Current.CancellationToken;
        var provider = new RecordingEmbeddingProvider(maxBatchSize: 2);
        using var inFlight = new SemaphoreSlim(1);
        await using var coalescer = Create(new EmbeddingOptions { MaxWait = TimeSpan.Zero, QueueCapacity = 4 }, provider, inFlight);
        var (hold, held) = await HoldUpstreamAsync(coalescer, provider, ct);

        // Act: ten texts; at most 1 (the reader's batch, waiting for its turn) + 4 (queue) get in before the queue refuses the rest
        var refused = coalescer.EmbedAsync([.. Enumerable.Range(0, 10).Select(i => $"text-{i}")], ct);
        hold.SetResult();
        await held.DefaultTimeout();
        await coalescer.DrainAsync(ct).DefaultTimeout();

        // Assert: refused as a whole; once the reader has passed the texts it did queue (skipped), nothing is held
        var error = Assert.IsType<GatewayException>(refused.Exception?.InnerException);
        Assert.Equal("QUEUE_FULL", error.Reason);
        Assert.Contains("4 texts waiting", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, coalescer.QueuedChars);
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


using System.Net;
using System.Net.Http.Json;
using Grpc.Core;
using GRump.Gateway.Intent;
using GRump.Gateway.Tests.Infrastructure;
using GRump.Gateway.V1;
using Microsoft.Extensions.DependencyInjection;

namespace GRump.Gateway.Tests.Services;

public sealed class IntentBackpressureTests
{
    [Fact]
    public async Task ParseIntent_WorkerQueueFull_IsResourceExhaustedOverGrpcAnd429OverRest()
    {
        // Arrange: one worker held inside a parse, one queue slot.
        var compiler = new GatedCompiler();
        await using var app = StartSingleSlotGateway(compiler);
        var client = new IntentService.IntentServiceClient(app.Channel);
        var running = client.ParseIntentAsync(new ParseIntentRequest { Raw = "running" }, cancellationToken: TestContext.Current.CancellationToken).ResponseAsync;
        await compiler.Entered.Task.DefaultTimeout();

        // Act: of five more calls exactly one fits the queue; the other four are turned away at once.
        var more = Enumerable.Range(0, 5)
            .Select(i => client.ParseIntentAsync(new ParseIntentRequest { Raw = $"more {i}" }, cancellationToken: TestContext.Current.CancellationToken).ResponseAsync)
            .ToList();
        var rejected = new List<RpcException>();
        while (rejected.Count < 4)
        {
            var done = await Task.WhenAny(more).DefaultTimeout();
            more.Remove(done);
            rejected.Add(await Assert.ThrowsAsync<RpcException>(() => done));
        }

        using var rest = await app.Http.PostAsJsonAsync("/api/intent/parse", new { raw = "rest" }, TestContext.Current.CancellationToken);
        compiler.Release();

        // Assert
        Assert.All(rejected, e => Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode));
        Assert.Contains("queue is full", rejected[0].Status.Detail, StringComparison.Ordinal);
        Assert.Equal((HttpStatusCode)429, rest.StatusCode);
        Assert.Equal("running", (await running.DefaultTimeout()).Intent.Raw);
        Assert.StartsWith("more ", (await Assert.Single(more).DefaultTimeout()).Intent.Raw, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ParseIntents_ParseRejectedMidStream_EarlierResultsThenResourceExhausted()
    {
        // Arrange
        var compiler = new GatedCompiler();
        await using var app = StartSingleSlotGateway(compiler);
        var pool = app.Services.GetRequiredService<GRump.Gateway.Workers.WorkerPool>();
        using var call = new IntentService.IntentServiceClient(app.Channel).ParseIntents(cancellationToken: TestContext.Current.CancellationToken);

        // Act: "one" runs (held), "two" waits in the only queue slot, "three" is turned away.
        await call.RequestStream.WriteAsync(new ParseIntentsRequest { Raw = "one" }, TestContext.Current.CancellationToken).DefaultTimeout();
        await compiler.Entered.Task.DefaultTimeout();
        await call.RequestStream.WriteAsync(new ParseIntentsRequest { Raw = "two" }, TestContext.Current.CancellationToken).DefaultTimeout();
        await call.RequestStream.WriteAsync(new ParseIntentsRequest { Raw = "three" }, TestContext.Current.CancellationToken).DefaultTimeout();
        await WaitUntilAsync(() => pool.GetStats().Rejected == 1);
        compiler.Release();
        var received = new List<string>();
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var response in call.ResponseStream.ReadAllAsync(TestContext.Current.CancellationToken))
            {
                received.Add(response.Intent.Raw);
            }
        }).DefaultTimeout();

        // Assert: the real status, not UNKNOWN, after everything accepted before it.
        Assert.Equal(["one", "two"], received);
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact]
    public async Task ParseIntent_ShortAndLongText_ShortParsesInlineLongOnThePool()
    {
        // Arrange
        await using var app = new GatewayApp(new Dictionary<string, string?> { ["Intent:InlineMaxChars"] = "100" }).Start();
        var pool = app.Services.GetRequiredService<GRump.Gateway.Workers.WorkerPool>();
        var client = new IntentService.IntentServiceClient(app.Channel);

        // Act
        var shortText = await client.ParseIntentAsync(new ParseIntentRequest { Raw = "Build a CLI in Rust" }, cancellationToken: TestContext.Current.CancellationToken);
        var afterShort = pool.GetStats().Completed;
        var longText = await client.ParseIntentAsync(new ParseIntentRequest { Raw = "Build a CLI in Rust. " + new string('x', 100) }, cancellationToken: TestContext.Current.CancellationToken);
        var afterLong = pool.GetStats().Completed;

        // Assert
        Assert.Contains("rust", shortText.Intent.TechStackHints);
        Assert.Contains("rust", longText.Intent.TechStackHints);
        Assert.Equal(0, afterShort);
        Assert.Equal(1, afterLong);
    }

    /// <summary>A gateway with one worker and one queue slot, every parse on the pool, parsing with <paramref name="compiler"/>.</summary>
    private static GatewayApp StartSingleSlotGateway(GatedCompiler compiler) =>
        new GatewayApp(
            new Dictionary<string, string?> { ["Workers:WorkerCount"] = "1", ["Workers:QueueCapacity"] = "1", ["Intent:InlineMaxChars"] = "0" },
            services => services.AddSingleton<IIntentCompiler>(compiler)).Start();

    /// <summary>Yields until a condition the server reaches on its own holds; bounded like every await in tests.</summary>
    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TestTimeouts.Default);
        while (!condition())
        {
            timeout.Token.ThrowIfCancellationRequested();
            await Task.Yield();
        }
    }

    /// <summary>Holds the first parse until released, so a test controls when the only worker is free.</summary>
    private sealed class GatedCompiler : IIntentCompiler
    {
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly IntentCompiler _inner = new();

        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => _gate.TrySetResult();

        public ParsedIntent Compile(string raw)
        {
            Entered.TrySetResult();
            _gate.Task.Wait(TestTimeouts.Default);
            return _inner.Compile(raw);
        }
    }
}

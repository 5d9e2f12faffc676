using BenchmarkDotNet.Attributes;
using Grpc.Net.Client;
using GRump.Gateway.V1;
using Microsoft.AspNetCore.Builder;

namespace GRump.Benchmarks.Endpoints;

/// <summary>
/// ParseIntent over gRPC (real Kestrel, h2c on loopback, the gateway's own service class with its default settings:
/// a short prompt parses inline) against a bare unary RPC on the same server: the ratio says what intent parsing costs
/// on top of gRPC itself. ParseIntentPooled sends the same parse through the worker pool, as the gateway does for
/// long texts. Each operation
/// is one of <see cref="Concurrency"/> calls in flight at once, so the mean is throughput-bound, not round-trip-bound.
/// </summary>
[MemoryDiagnoser]
public class GrpcParseIntentBenchmarks
{
    private const string Prompt = "Build a todo app with authentication and a dashboard using React, Node and PostgreSQL.";

    private WebApplication? _app;
    private GrpcChannel? _channel;
    private IntentService.IntentServiceClient? _intents;
    private BenchService.BenchServiceClient? _bench;

    [Params(1, 32)]
    public int Concurrency { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _app = BenchServer.Start(port: 0);
        _channel = GrpcChannel.ForAddress(BenchServer.Address(_app));
        _intents = new IntentService.IntentServiceClient(_channel);
        _bench = new BenchService.BenchServiceClient(_channel);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _channel?.Dispose();
        _app?.StopAsync().GetAwaiter().GetResult();
        _app?.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Baseline = true)]
    public Task BareUnary() => RunAsync(() => _bench!.NoopAsync(new NoopRequest { Raw = Prompt }).ResponseAsync);

    [Benchmark]
    public Task ParseIntentPooled() => RunAsync(() => _bench!.ParsePooledAsync(new ParseIntentRequest { Raw = Prompt }).ResponseAsync);

    [Benchmark]
    public Task ParseIntent() => RunAsync(() => _intents!.ParseIntentAsync(new ParseIntentRequest { Raw = Prompt }).ResponseAsync);

    private Task RunAsync<T>(Func<Task<T>> call)
    {
        if (Concurrency == 1)
        {
            return call();
        }

        var calls = new Task[Concurrency];
        for (var i = 0; i < calls.Length; i++)
        {
            calls[i] = call();
        }

        return Task.WhenAll(calls);
    }
}

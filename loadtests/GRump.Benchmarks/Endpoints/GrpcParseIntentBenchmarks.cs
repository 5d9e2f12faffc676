using System.Net;
using BenchmarkDotNet.Attributes;
using Grpc.Core;
using Grpc.Net.Client;
using GRump.Gateway.Diagnostics;
using GRump.Gateway.Intent;
using GRump.Gateway.Services;
using GRump.Gateway.V1;
using GRump.Gateway.Workers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GRump.Benchmarks.Endpoints;

/// <summary>
/// ParseIntent over gRPC (real Kestrel, h2c on loopback, the gateway's own service class on its worker pool) against a
/// bare unary RPC on the same server: the ratio says what intent parsing costs on top of gRPC itself. Each operation
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
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddMetrics();
        builder.Services.AddSingleton<IntentMetrics>();
        builder.Services.AddWorkerPool();
        builder.Services.AddIntentCompiler();
        _app = builder.Build();
        _app.MapGrpcService<IntentGrpcService>();
        _app.MapGrpcService<NoopService>();
        _app.StartAsync().GetAwaiter().GetResult();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        _channel = GrpcChannel.ForAddress(address);
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
    public Task ParseIntentInline() => RunAsync(() => _bench!.ParseInlineAsync(new ParseIntentRequest { Raw = Prompt }).ResponseAsync);

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

    private sealed class NoopService(IIntentCompiler compiler) : BenchService.BenchServiceBase
    {
        public override Task<NoopResponse> Noop(NoopRequest request, ServerCallContext context) => Task.FromResult(new NoopResponse { Raw = request.Raw });

        public override Task<ParseIntentResponse> ParseInline(ParseIntentRequest request, ServerCallContext context) =>
            Task.FromResult(new ParseIntentResponse { Intent = compiler.Compile(request.Raw, request.Constraints) });
    }
}

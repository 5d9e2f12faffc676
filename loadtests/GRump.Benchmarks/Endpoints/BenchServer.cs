using System.Net;
using Grpc.Core;
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
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GRump.Benchmarks.Endpoints;

/// <summary>
/// One Kestrel (h2c, loopback) with the gateway's own IntentService (default settings) and the benchmark-only
/// BenchService (a bare unary RPC and a pooled parse). Used in-process by <see cref="GrpcParseIntentBenchmarks"/> and
/// as a standalone server for h2load (`serve`, see docs/intent-benchmarks.md).
/// </summary>
public static class BenchServer
{
    public static WebApplication Start(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddMetrics();
        builder.Services.AddSingleton<IntentMetrics>();
        builder.Services.AddWorkerPool();
        builder.Services.AddIntentCompiler();
        var app = builder.Build();
        app.MapGrpcService<IntentGrpcService>();
        app.MapGrpcService<NoopService>();
        app.StartAsync().GetAwaiter().GetResult();
        return app;
    }

    public static string Address(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    /// <summary>`serve [port]`: runs until stdin closes or Ctrl+C, printing the address first.</summary>
    public static int Serve(string[] args)
    {
        var port = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 0;
        using var app = Start(port);
        Console.WriteLine($"Serving {Address(app)} (pid {Environment.ProcessId})");
        app.WaitForShutdown();
        return 0;
    }

    private sealed class NoopService(IIntentCompiler compiler, WorkerPool pool) : BenchService.BenchServiceBase
    {
        public override Task<NoopResponse> Noop(NoopRequest request, ServerCallContext context) => Task.FromResult(new NoopResponse { Raw = request.Raw });

        public override async Task<ParseIntentResponse> ParsePooled(ParseIntentRequest request, ServerCallContext context) =>
            new() { Intent = await pool.RunAsync(WorkKind.ParseIntent, (compiler, request), static s => IntentMapper.ToProto(s.compiler.Compile(s.request.Raw), s.request.Constraints), context.CancellationToken) };
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Net;
using Grpc.Net.Client;
using GRump.Fakes;
using GRump.Gateway;
using GRump.Gateway.Embeddings;
using GRump.Gateway.Embeddings.Internal;
using GRump.Gateway.Endpoints;
using GRump.Gateway.Routing;
using GRump.Gateway.Services;
using GRump.Gateway.V1;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace GRump.Benchmarks.Embeddings;

/// <summary>
/// <c>embeddings [callers=256] [seconds=8]</c>: closed-loop load of single-text Embed calls over gRPC (h2c, loopback)
/// against the gateway's own EmbeddingService + pipeline, with NIM pointed at an in-process fake upstream that takes
/// 10 ms per embeddings call. Compares coalescing on vs off (throughput and latency, at 1 caller and at N), then the
/// local MiniLM model through the gateway vs the model called directly with batches of 8. See docs/embeddings.md.
/// </summary>
internal static class EmbeddingLoad
{
    public static async Task<int> RunAsync(string[] args)
    {
        var callers = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 256;
        var seconds = args.Length > 2 ? double.Parse(args[2], CultureInfo.InvariantCulture) : 8;
        var duration = TimeSpan.FromSeconds(seconds);
        await using var fake = await FakeUpstream.StartAsync(new FakeUpstreamOptions
        {
            RecordLimit = 16,
            Default = new FakeBehavior { EmbeddingLatency = TimeSpan.FromMilliseconds(10) },
        }, CancellationToken.None);

        Console.WriteLine($"Embed load: {callers} callers, {seconds} s per run, fake upstream 10 ms per call, {Environment.ProcessorCount} cores, {Environment.Version}");
        Console.WriteLine("| mode | callers | calls/s | p50 ms | p99 ms | upstream calls | inputs per upstream call |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var concurrency in new[] { 1, callers })
        {
            foreach (var coalescing in new[] { true, false })
            {
                await using var gateway = await StartGatewayAsync(fake.BaseUrl, coalescing);
                fake.Reset();
                var before = fake.RequestCount;
                var result = await LoadAsync(gateway.Url, concurrency, duration, string.Empty);
                var upstream = fake.RequestCount - before;
                Console.WriteLine($"| coalescing {(coalescing ? "on" : "off")} | {concurrency} | {result.Rate:0} | {result.P50:0.0} | {result.P99:0.0} | {upstream} | {(upstream == 0 ? 0 : (double)result.Calls / upstream):0.0} |");
            }
        }

        Console.WriteLine();
        Console.WriteLine("| local all-MiniLM-L6-v2 | callers | embeddings/s | p50 ms | p99 ms |");
        Console.WriteLine("|---|---|---|---|---|");
        using (var model = MiniLmModel.Load(LocalModelPrecision.Int8))
        {
            foreach (var batch in new[] { 1, 8 })
            {
                var direct = Direct(model, batch, duration);
                Console.WriteLine($"| direct, batch {batch} | 1 | {direct:0} | | |");
            }
        }
        await using (var local = await StartGatewayAsync(nimUrl: null, coalescing: true))
        {
            foreach (var concurrency in new[] { 8, callers })
            {
                var result = await LoadAsync(local.Url, concurrency, duration, ModelRegistry.LocalEmbedding);
                Console.WriteLine($"| gateway, coalesced | {concurrency} | {result.Rate:0} | {result.P50:0.0} | {result.P99:0.0} |");
            }
        }
        return 0;
    }

    private static double Direct(MiniLmModel model, int batch, TimeSpan duration)
    {
        model.Embed(["warm up"], out _);
        var n = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            var texts = Enumerable.Range(0, batch).Select(i => Text(0, n + i)).ToArray();
            model.Embed(texts, out _);
            n += batch;
        }
        return n / clock.Elapsed.TotalSeconds;
    }

    /// <summary>A distinct sentence of realistic length (no dedupe between callers).</summary>
    private static string Text(int caller, int n) =>
        $"Caller {caller} asks question number {n}: how do I configure the gateway to batch embedding requests efficiently?";

    private static async Task<LoadResult> LoadAsync(Uri url, int concurrency, TimeSpan duration, string model)
    {
        using var channel = GrpcChannel.ForAddress(url);
        var client = new EmbeddingService.EmbeddingServiceClient(channel);
        // Warm-up: JIT, connections, the local model's lazy load.
        await Task.WhenAll(Enumerable.Range(0, Math.Min(concurrency, 64)).Select(i =>
            client.EmbedAsync(new EmbedRequest { Model = model, Inputs = { Text(-1, i) } }).ResponseAsync));

        var latencies = new List<double>[concurrency];
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(async caller =>
        {
            var mine = latencies[caller] = [];
            for (var n = 0; clock.Elapsed < duration; n++)
            {
                var started = Stopwatch.GetTimestamp();
                await client.EmbedAsync(new EmbedRequest { Model = model, Inputs = { Text(caller, n) } }).ResponseAsync.ConfigureAwait(false);
                mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }).ToArray();
        await Task.WhenAll(workers);
        var elapsed = clock.Elapsed.TotalSeconds;
        var all = latencies.SelectMany(l => l).Order().ToArray();
        return new LoadResult(all.Length, all.Length / elapsed, all[all.Length / 2], all[Math.Min(all.Length - 1, (int)(all.Length * 0.99))]);
    }

    private static async Task<Gateway> StartGatewayAsync(string? nimUrl, bool coalescing)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        // A data folder of its own: the L3 cache of an earlier host (or run) would answer the same texts from disk.
        var data = Directory.CreateTempSubdirectory("grump-embed-bench-").FullName;
        var settings = new Dictionary<string, string?> { ["Embeddings:Coalescing"] = coalescing ? "true" : "false", ["Gateway:DataPath"] = data };
        if (nimUrl is not null)
        {
            settings["NVIDIA_NIM_URL"] = nimUrl;
            settings["NVIDIA_NIM_API_KEY"] = "bench";
        }
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddGatewayGrpc();
        builder.Services.AddGrumpGateway(builder.Configuration);
        var app = builder.Build();
        app.MapGrpcService<EmbeddingGrpcService>();
        app.MapReverseProxy(); // activates the YARP clusters the providers send through
        await app.StartAsync();
        return new Gateway(app, new Uri(BenchServerAddress(app)), data);
    }

    private static string BenchServerAddress(WebApplication app) => Endpoints.BenchServer.Address(app);

    private sealed record LoadResult(int Calls, double Rate, double P50, double P99);

    private sealed record Gateway(WebApplication App, Uri Url, string DataPath) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await App.StopAsync();
            await App.DisposeAsync();
            Directory.Delete(DataPath, recursive: true);
        }
    }
}

using System.Globalization;
using System.Runtime.InteropServices;

namespace GRump.Fakes;

/// <summary>
/// <c>dotnet run --project tests/GRump.FakeUpstream -c Release -- --port 8081 [--latency-ms 0] [--chunks 8]
/// [--chunk-delay-ms 0] [--embedding-latency-ms 0] [--embedding-dimensions 8]</c>: prints <c>Listening http://127.0.0.1:&lt;port&gt;</c> once
/// ready and runs until SIGINT/SIGTERM. Exit codes: 2 bad arguments, 3 port in use.
/// </summary>
internal static class FakeUpstreamProgram
{
    public static async Task<int> Main(string[] args)
    {
        int port = 0, latencyMs = 0, chunks = 8, chunkDelayMs = 0, embeddingLatencyMs = 0, firstChunkDelayMs = 0, embeddingDimensions = 0;
        for (var i = 0; i < args.Length; i++)
        {
            if (i + 1 >= args.Length || !int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                return Usage($"'{args[i]}' needs a non-negative integer value.");
            }

            switch (args[i])
            {
                case "--port": port = value; break;
                case "--latency-ms": latencyMs = value; break;
                case "--chunks": chunks = value; break;
                case "--chunk-delay-ms": chunkDelayMs = value; break;
                case "--first-chunk-delay-ms": firstChunkDelayMs = value; break;
                case "--embedding-latency-ms": embeddingLatencyMs = value; break;
                case "--embedding-dimensions": embeddingDimensions = value; break;
                default: return Usage($"Unknown option '{args[i]}'.");
            }

            i++;
        }

        var options = new FakeUpstreamOptions
        {
            Port = port,
            RecordLimit = 1_000,
            Default = new FakeBehavior
            {
                Latency = TimeSpan.FromMilliseconds(latencyMs),
                EmbeddingLatency = TimeSpan.FromMilliseconds(embeddingLatencyMs),
                Chunks = chunks,
                ChunkDelay = TimeSpan.FromMilliseconds(chunkDelayMs),
                FirstChunkDelay = TimeSpan.FromMilliseconds(firstChunkDelayMs),
                // A real model's vector size (NV-Embed: 4096) when a benchmark needs realistic payloads; 0 = the default.
                EmbeddingDimensions = embeddingDimensions > 0 ? embeddingDimensions : null,
            },
        };

        using var cancel = new CancellationTokenSource();
        FakeUpstream fake;
        try
        {
            fake = await FakeUpstream.StartAsync(options, cancel.Token);
        }
        catch (IOException e)
        {
            await Console.Error.WriteLineAsync($"Cannot listen on 127.0.0.1:{port}: {e.Message}");
            return 3;
        }

        await using (fake)
        {
            var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
            Console.WriteLine($"Listening {fake.BaseUrl}");
            await stop.Task;

            void Stop(PosixSignalContext context)
            {
                context.Cancel = true;
                stop.TrySetResult();
            }
        }

        return 0;
    }

    private static int Usage(string problem)
    {
        Console.Error.WriteLine(problem);
        Console.Error.WriteLine("Usage: GRump.FakeUpstream [--port N] [--latency-ms N] [--chunks N] [--chunk-delay-ms N] [--first-chunk-delay-ms N] [--embedding-latency-ms N] [--embedding-dimensions N]");
        return 2;
    }
}

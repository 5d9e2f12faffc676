using BenchmarkDotNet.Running;
using GRump.Benchmarks.Chat;
using GRump.Benchmarks.Embeddings;
using GRump.Benchmarks.Endpoints;

namespace GRump.Benchmarks;

// An explicit entry point: top-level statements would declare a second `Program` next to the gateway's.
internal static class BenchmarkProgram
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "serve")
        {
            return BenchServer.Serve(args);
        }
        if (args.Length > 0 && args[0] == "proxy-floor")
        {
            return ProxyFloor.Serve(args);
        }
        if (args.Length > 0 && args[0] == "cache-l2-latency")
        {
            return Caching.L2Latency.RunAsync(args).GetAwaiter().GetResult();
        }
        if (args.Length > 0 && args[0] == "chat-overhead")
        {
            return ChatOverhead.RunAsync(args).GetAwaiter().GetResult();
        }

        if (args.Length > 0 && args[0] == "routing-eval")
        {
            return Routing.RoutingEvaluation.Run(args[1..], Console.Out);
        }

        if (args.Length > 0 && args[0] == "routing-vectors")
        {
            return Routing.ExemplarVectorWriter.Run(args[1..], Console.Out);
        }

        if (args.Length > 0 && args[0] == "minilm-precision")
        {
            return MiniLmPrecision.Run(args[1..], Console.Out);
        }

        if (args.Length > 0 && args[0] == "embeddings")
        {
            return EmbeddingLoad.RunAsync(args).GetAwaiter().GetResult();
        }

        BenchmarkSwitcher.FromAssembly(typeof(BenchmarkProgram).Assembly).Run(args);
        return 0;
    }
}

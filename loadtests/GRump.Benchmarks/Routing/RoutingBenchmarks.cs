using BenchmarkDotNet.Attributes;
using GRump.Gateway.Intent;
using GRump.Gateway.Routing;
using GRump.Gateway.Chat;

namespace GRump.Benchmarks.Routing;

/// <summary>
/// One heuristic routing decision for a chat request, including the intent compile of its task text (issue #5 target:
/// ≤ 10 µs median, ≤ 1 KB allocated). "decision only" passes the compiled intent in, as the chat pipeline does when it
/// has compiled it already. The strategies over the holdout: <see cref="RoutingStrategyBenchmarks"/>.
/// Run: <c>dotnet run -c Release -- --filter '*RoutingBenchmarks*' --job short</c>.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class RoutingBenchmarks
{
    private const string Greeting = "Hello! Can you help me with something quick?";
    private const string CodeTask = "Build a todo app with auth and dashboard using React, Node and Postgres on Vercel";
    private const string DesignTask = "Design a scalable, fault-tolerant architecture for a multi-tenant SaaS billing platform using event sourcing, Kafka, PostgreSQL and Kubernetes, and explain the trade-offs of each choice.";

    private readonly IntentCompiler _compiler = new();
    private ModelRouter _router = null!;
    private ChatRequest _greeting = null!;
    private ChatRequest _code = null!;
    private ChatRequest _design = null!;
    private ParsedIntent _codeIntent = null!;
    private ParsedIntent _designIntent = null!;

    [GlobalSetup]
    public void Setup()
    {
        _router = RoutingSetup.Router(RoutingStrategy.Heuristic, classifier: null, _compiler);
        _greeting = Chat(Greeting);
        _code = Chat(CodeTask);
        _design = Chat(DesignTask);
        _codeIntent = _compiler.Compile(CodeTask);
        _designIntent = _compiler.Compile(DesignTask);
    }

    [Benchmark(Description = "greeting (8 words), with intent")]
    public RoutingResult GreetingRoute() => _router.Route(_greeting);

    [Benchmark(Description = "code task (15 words), with intent", Baseline = true)]
    public RoutingResult CodeRoute() => _router.Route(_code);

    [Benchmark(Description = "design task (30 words), with intent")]
    public RoutingResult DesignRoute() => _router.Route(_design);

    [Benchmark(Description = "code task, decision only (intent given)")]
    public RoutingResult CodeDecisionOnly() => _router.Route(_code, _codeIntent);

    [Benchmark(Description = "code task, intent compile only")]
    public ParsedIntent CodeIntentOnly() => _compiler.Compile(CodeTask);

    [Benchmark(Description = "design task, decision only (intent given)")]
    public RoutingResult DesignDecisionOnly() => _router.Route(_design, _designIntent);

    [Benchmark(Description = "design task, intent compile only")]
    public ParsedIntent DesignIntentOnly() => _compiler.Compile(DesignTask);

    private static ChatRequest Chat(string text) => new() { Messages = [ChatMessage.FromText(ChatRole.User, text)] };
}

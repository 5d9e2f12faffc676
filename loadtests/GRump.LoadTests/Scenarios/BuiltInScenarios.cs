using GRump.Gateway.V1;
using GRump.LoadTests.Load;

namespace GRump.LoadTests.Scenarios;

/// <summary>
/// The scenarios <c>--scenario all</c> runs, in this order: each gateway scenario runs right after its baseline so the
/// two see the same machine. Chat and embeddings have a direct-to-upstream twin; the gRPC scenarios compare with the
/// bare RPC. See <see cref="Comparisons"/>.
/// </summary>
internal static class BuiltInScenarios
{
    public const string Bare = "grpc-bare";
    public const string IntentUnary = "intent-unary";
    public const string IntentBidi = "intent-bidi";
    public const string CacheL1 = "chat-cache-l1";
    public const string ChatDirect = "chat-direct";
    public const string ChatGrpc = "chat-grpc";
    public const string ChatHttp = "chat-http";
    public const string ChatDirectSse = "chat-direct-sse";
    public const string ChatGrpcStream = "chat-grpc-stream";
    public const string ChatHttpSse = "chat-http-sse";
    public const string ChatGrpcNamed = "chat-grpc-named";
    public const string ChatGrpcStreamNamed = "chat-grpc-stream-named";
    public const string ChatHttpRouted = "chat-http-routed";
    public const string EmbeddingsDirect = "embeddings-direct";
    public const string Embeddings = "embeddings";
    public const string EmbeddingsOneByOne = "embeddings-nocoalesce";

    private const string GrpcOption = "--gateway-grpc";
    private const string HttpOption = "--gateway-http";
    private const string UpstreamOption = "--upstream";

    /// <summary>Throughput scenarios: enough users to saturate two cores.</summary>
    private static readonly ClosedModel Saturating = new(32);

    /// <summary>Chat: one user, the case of the design's "added p99 ≤ 1 ms" goal; use --concurrency for throughput.</summary>
    private static readonly ClosedModel Single = new(1);

    /// <summary>Many concurrent single-text callers: what coalescing is for.</summary>
    private static readonly ClosedModel ManyCallers = new(256);

    public static IReadOnlyList<Scenario> All { get; } =
    [
        new(Bare, "BenchService.Noop on GRump.Benchmarks' bare Kestrel gRPC server (echo, same request bytes as ParseIntent): the ceiling",
            ScenarioTarget.BareServer, Saturating,
            (t, _) => Shared(new NoopStep(t.Channel(t.BareGrpc, "--bare-grpc (GRump.Benchmarks.dll serve)"), ScenarioTexts.IntentPrompt))),
        new(IntentUnary, "IntentService.ParseIntent (unary)", ScenarioTarget.Gateway, Saturating,
            (t, _) => Shared(new ParseIntentStep(t.Channel(t.GatewayGrpc, GrpcOption), ScenarioTexts.IntentPrompt))),
        new(IntentBidi, "IntentService.ParseIntents (bidi): one request and its response per call, one stream per user", ScenarioTarget.Gateway, Saturating,
            (t, _) => ValueTask.FromResult<IScenarioStep>(new ParseIntentsStep(t.Channel(t.GatewayGrpc, GrpcOption), ScenarioTexts.IntentPrompt))),
        new(CacheL1, "ChatService.Complete, temperature 0, the same request again: every call an L1 hit", ScenarioTarget.Gateway, Saturating,
            (t, _) => Shared(new ChatCompleteStep(t.Channel(t.GatewayGrpc, GrpcOption), ScenarioTexts.Chat(CacheMode.On, 0f), CacheTier.L1)))
        {
            PrepareAsync = async (t, ct) => await new ChatCompleteStep(t.Channel(t.GatewayGrpc, GrpcOption), ScenarioTexts.Chat(CacheMode.On, 0f), null)
                .InvokeAsync(ct).ConfigureAwait(false),
        },
        new(ChatDirect, "POST /v1/chat/completions (JSON) straight to the fake upstream", ScenarioTarget.Upstream, Single,
            (t, _) => Shared(new HttpPostStep(t.Http, Url(t.Upstream, UpstreamOption, "/v1/chat/completions"), OpenAiChat(stream: false), sse: false))),
        new(ChatGrpc, "ChatService.Complete over gRPC (routed, cache off) → fake upstream", ScenarioTarget.Gateway, Single,
            (t, _) => Shared(new ChatCompleteStep(t.Channel(t.GatewayGrpc, GrpcOption), ScenarioTexts.Chat(CacheMode.Off, null), null))),
        new(ChatHttp, "POST /v1/chat/completions (JSON) on the gateway → fake upstream (not cached: no temperature)", ScenarioTarget.Gateway, Single,
            (t, _) => Shared(new HttpPostStep(t.Http, Url(t.GatewayHttp, HttpOption, "/v1/chat/completions"), OpenAiChat(stream: false), sse: false))),
        new(ChatDirectSse, "POST /v1/chat/completions (SSE, 8 chunks) straight to the fake upstream", ScenarioTarget.Upstream, Single,
            (t, _) => Shared(new HttpPostStep(t.Http, Url(t.Upstream, UpstreamOption, "/v1/chat/completions"), OpenAiChat(stream: true), sse: true))),
        new(ChatGrpcStream, "ChatService.StreamComplete over gRPC (routed, cache off) → fake upstream SSE", ScenarioTarget.Gateway, Single,
            (t, _) => Shared(new ChatStreamStep(t.Channel(t.GatewayGrpc, GrpcOption), ScenarioTexts.Chat(CacheMode.Off, null)))),
        new(ChatHttpSse, "POST /v1/chat/completions (SSE) on the gateway → fake upstream SSE", ScenarioTarget.Gateway, Single,
            (t, _) => Shared(new HttpPostStep(t.Http, Url(t.GatewayHttp, HttpOption, "/v1/chat/completions"), OpenAiChat(stream: true), sse: true))),
        new(ChatGrpcNamed, "ChatService.Complete over gRPC, the model named as the /v1 requests name it (cache off) → fake upstream", ScenarioTarget.Gateway, Single,
            (t, _) => Shared(new ChatCompleteStep(t.Channel(t.GatewayGrpc, GrpcOption), ScenarioTexts.Chat(CacheMode.Off, null, ScenarioTexts.ChatModel), null))),
        new(ChatGrpcStreamNamed, "ChatService.StreamComplete over gRPC, the model named (cache off) → fake upstream SSE", ScenarioTarget.Gateway, Single,
            (t, _) => Shared(new ChatStreamStep(t.Channel(t.GatewayGrpc, GrpcOption), ScenarioTexts.Chat(CacheMode.Off, null, ScenarioTexts.ChatModel)))),
        new(ChatHttpRouted, "POST /v1/chat/completions (JSON) with model \"auto\": routed like the gRPC requests → fake upstream", ScenarioTarget.Gateway, Single,
            (t, _) => Shared(new HttpPostStep(t.Http, Url(t.GatewayHttp, HttpOption, "/v1/chat/completions"), OpenAiChat(stream: false, model: "auto"), sse: false))),
        new(EmbeddingsDirect, "POST /v1/embeddings, one text per call, straight to the fake upstream", ScenarioTarget.Upstream, ManyCallers,
            (t, _) => Shared(new HttpEmbedStep(t.Http, Url(t.Upstream, UpstreamOption, "/v1/embeddings")))),
        new(Embeddings, "EmbeddingService.Embed, one distinct text per call, coalesced into upstream batches", ScenarioTarget.Gateway, ManyCallers,
            (t, _) => Shared(new EmbedStep(t.Channel(t.GatewayGrpc, GrpcOption)))),
        new(EmbeddingsOneByOne, "EmbeddingService.Embed on a second gateway with Embeddings__Coalescing=false (one upstream call per call)",
            ScenarioTarget.GatewayNoCoalescing, ManyCallers,
            (t, _) => Shared(new EmbedStep(t.Channel(t.NoCoalescingGrpc, "a gateway with coalescing off (started by the runner only)")))),
    ];

    /// <summary>Same-run ratios the report computes when both scenarios ran.</summary>
    public static IReadOnlyList<Comparison> Comparisons { get; } =
    [
        new(ChatGrpc, ChatDirect, ComparisonKind.AddedLatency),
        new(ChatHttp, ChatDirect, ComparisonKind.AddedLatency),
        new(ChatGrpcStream, ChatDirectSse, ComparisonKind.AddedLatency),
        new(ChatHttpSse, ChatDirectSse, ComparisonKind.AddedLatency),
        new(ChatGrpcNamed, ChatDirect, ComparisonKind.AddedLatency),
        new(ChatGrpcStreamNamed, ChatDirectSse, ComparisonKind.AddedLatency),
        new(ChatHttpRouted, ChatDirect, ComparisonKind.AddedLatency),
        new(Embeddings, EmbeddingsDirect, ComparisonKind.AddedLatency),
        new(IntentUnary, Bare, ComparisonKind.Throughput),
        new(IntentBidi, Bare, ComparisonKind.Throughput),
        new(CacheL1, Bare, ComparisonKind.Throughput),
        new(Embeddings, EmbeddingsOneByOne, ComparisonKind.Throughput),
    ];

    public static IReadOnlyList<string> Names { get; } = [.. All.Select(s => s.Name)];

    /// <summary>
    /// <c>all</c>, or names separated by commas; a trailing <c>*</c> matches a prefix (<c>chat*</c>). Keeps the
    /// catalogue's order. Unknown names are returned in <paramref name="unknown"/>.
    /// </summary>
    public static IReadOnlyList<Scenario> Select(string selector, out IReadOnlyList<string> unknown)
    {
        var missing = new List<string>();
        var chosen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var part in selector.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var matches = part == "all" ? All
                : part.EndsWith('*') ? All.Where(s => s.Name.StartsWith(part[..^1], StringComparison.Ordinal)).ToList()
                : All.Where(s => s.Name == part).ToList();
            if (matches.Count == 0)
            {
                missing.Add(part);
            }

            chosen.UnionWith(matches.Select(s => s.Name));
        }

        unknown = missing;
        return [.. All.Where(s => chosen.Contains(s.Name))];
    }

    private static ValueTask<IScenarioStep> Shared(SharedStep step) => ValueTask.FromResult<IScenarioStep>(step);

    private static Uri Url(Uri? root, string option, string path) => new(ScenarioTargets.Require(root, option), path);

    private static string OpenAiChat(bool stream, string model = ScenarioTexts.ChatModel) =>
        $$"""{"model":"{{model}}","stream":{{(stream ? "true" : "false")}},"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"{{ScenarioTexts.ChatPrompt}}"}]}""";
}

internal enum ComparisonKind
{
    /// <summary>Gateway vs its upstream called directly: added p50/p99 and RPS ratio.</summary>
    AddedLatency,

    /// <summary>A gateway call vs a cheaper baseline: RPS ratio and server CPU per call.</summary>
    Throughput,
}

/// <summary><paramref name="Subject"/> measured against <paramref name="Baseline"/> in the same run.</summary>
internal sealed record Comparison(string Subject, string Baseline, ComparisonKind Kind);

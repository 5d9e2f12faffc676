using Google.Api;
using Google.Protobuf.Reflection;
using GRump.Gateway.V1;

namespace GRump.LoadTests.Fuzz;

/// <summary>One gRPC method the gateway serves: its path, kind and request message.</summary>
internal sealed record GrpcTarget(string Path, bool ClientStreams, bool ServerStreams, MessageDescriptor Request)
{
    /// <summary>A server stream that never ends by itself (WatchCost, health Watch): the fuzzer takes the headers as the answer, then hangs up.</summary>
    public bool Endless => Path.EndsWith("/WatchCost", StringComparison.Ordinal) || Path == "/grpc.health.v1.Health/Watch";
}

/// <summary>One HTTP route: method, path, and the message its JSON body becomes (REST), or a /v1 body schema (OpenAI or Anthropic).</summary>
internal sealed record HttpTarget(string Method, string Path, MessageDescriptor? Body, OpenAiBody OpenAi = OpenAiBody.None)
{
    public bool Endless => Path is "/api/cost/watch" or "/api/cost/events";
}

internal enum OpenAiBody
{
    None,
    Chat,
    Embeddings,
    Responses,
    AnthropicMessages,
}

/// <summary>
/// Everything a caller can reach, read from the contract itself (so a new RPC or REST route is fuzzed without being
/// listed here): every method of the gateway's services, health, reflection v1 and v1alpha; every REST route from the
/// google.api.http annotations; the OpenAI- and Anthropic-compatible routes; and paths that exist nowhere.
/// </summary>
internal static class FuzzSurface
{
    public static IReadOnlyList<GrpcTarget> Grpc { get; } = BuildGrpc();

    public static IReadOnlyList<HttpTarget> Http { get; } = BuildHttp();

    private static IEnumerable<ServiceDescriptor> Services() =>
    [
        .. new[]
        {
            IntentReflection.Descriptor, ChatReflection.Descriptor, RoutingServiceReflection.Descriptor, EmbeddingReflection.Descriptor,
            CostReflection.Descriptor, CacheReflection.Descriptor, WorkflowReflection.Descriptor,
        }.SelectMany(f => f.Services),
        global::Grpc.Health.V1.Health.Descriptor,
        global::Grpc.Reflection.V1.ServerReflection.Descriptor,
        global::Grpc.Reflection.V1Alpha.ServerReflection.Descriptor,
    ];

    private static List<GrpcTarget> BuildGrpc() =>
        [.. Services().SelectMany(s => s.Methods).Select(m => new GrpcTarget($"/{m.Service.FullName}/{m.Name}", m.IsClientStreaming, m.IsServerStreaming, m.InputType))];

    private static List<HttpTarget> BuildHttp()
    {
        var routes = new List<HttpTarget>();
        foreach (var method in Services().SelectMany(s => s.Methods))
        {
            if (method.GetOptions()?.GetExtension(AnnotationsExtensions.Http) is not { } rule)
            {
                continue;
            }
            var (verb, path) = rule.PatternCase switch
            {
                HttpRule.PatternOneofCase.Get => ("GET", rule.Get),
                HttpRule.PatternOneofCase.Post => ("POST", rule.Post),
                HttpRule.PatternOneofCase.Put => ("PUT", rule.Put),
                HttpRule.PatternOneofCase.Delete => ("DELETE", rule.Delete),
                HttpRule.PatternOneofCase.Patch => ("PATCH", rule.Patch),
                _ => (null, null),
            };
            if (verb is null || path is null)
            {
                continue;
            }
            var body = rule.Body switch
            {
                "" => null,
                "*" => method.InputType,
                var field => method.InputType.FindFieldByName(field)?.MessageType,
            };
            routes.Add(new HttpTarget(verb, path, body));
        }
        routes.Add(new HttpTarget("POST", "/v1/chat/completions", null, OpenAiBody.Chat));
        routes.Add(new HttpTarget("POST", "/v1/embeddings", null, OpenAiBody.Embeddings));
        routes.Add(new HttpTarget("POST", "/v1/responses", null, OpenAiBody.Responses));
        routes.Add(new HttpTarget("POST", "/v1/messages", null, OpenAiBody.AnthropicMessages));
        routes.Add(new HttpTarget("POST", "/v1/messages/count_tokens", null, OpenAiBody.AnthropicMessages));
        routes.Add(new HttpTarget("GET", "/v1/models", null));
        routes.Add(new HttpTarget("GET", "/v1/models/{id}", null));
        // The dashboard's own routes (not in the contract): its live feed and session check.
        routes.Add(new HttpTarget("GET", "/api/cost/events", null));
        routes.Add(new HttpTarget("GET", "/api/dashboard/session", null));
        foreach (var path in new[] { "/healthz", "/readyz", "/metrics", "/", "/index.html", "/app.js", "/api/nope", "/v1/files", "/v1/chat/completions/../../api/cost/budget", "//v1//models", "/%2e%2e/%2e%2e/etc/passwd", "/v1/models/%2e%2e%2fetc" })
        {
            routes.Add(new HttpTarget("GET", path, null));
        }
        return routes;
    }
}

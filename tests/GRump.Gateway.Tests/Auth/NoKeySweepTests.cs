using System.Net;
using System.Text;
using Google.Protobuf.Reflection;
using Grpc.Core;
using GRump.Gateway.Tests.Infrastructure;
using GRump.Gateway.V1;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace GRump.Gateway.Tests.Auth;

/// <summary>
/// Keyed mode, no key: every gRPC method of the contract is UNAUTHENTICATED and every HTTP route 401 — except health,
/// reflection, <c>GET /v1/models[/{id}]</c> and the dashboard's static shell. The lists come from the contract's descriptors and the app's own route table,
/// so a route added later is swept too.
/// </summary>
public sealed class NoKeySweepTests : IAsyncLifetime
{
    private static readonly Marshaller<byte[]> Bytes = Marshallers.Create(b => b, b => b);
    // Open by design: probes, the model list (and one model: 404 for an unknown id), the dashboard's static shell and
    // its session probe (which, without a key, says only that one is needed).
    private static readonly string[] OpenRoutes = ["/healthz", "/readyz", "/v1/models", "/v1/models/x", "/", "/api/dashboard/session"];

    private GatewayApp _app = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        _app = new GatewayApp(new Dictionary<string, string?>
        {
            ["Auth:Keys:0:Key"] = "tenant-a-key-0123456789",
            ["Auth:Keys:0:Tenant"] = "a",
            ["Passthrough:Routes:0:Path"] = "/v1/moderations",
            ["Passthrough:Routes:0:Metering"] = "per-call",
            ["Passthrough:Routes:0:PricePerCallUsd"] = "0",
        }).Start();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task EveryGrpcMethod_WithoutAKey_IsUnauthenticated()
    {
        var invoker = _app.Channel.CreateCallInvoker();
        var methods = typeof(ChatService).Assembly.GetTypes()
            .Where(t => t.Name.EndsWith("Reflection", StringComparison.Ordinal) && t.GetProperty("Descriptor")?.GetValue(null) is FileDescriptor)
            .SelectMany(t => ((FileDescriptor)t.GetProperty("Descriptor")!.GetValue(null)!).Services)
            .SelectMany(s => s.Methods)
            .ToList();
        Assert.True(methods.Count >= 20, $"only {methods.Count} methods found");

        foreach (var method in methods)
        {
            var status = await CallAsync(invoker, method);
            Assert.True(status == StatusCode.Unauthenticated, $"{method.FullName}: {status}");
        }
    }

    [Fact]
    public async Task EveryHttpRoute_WithoutAKey_Is401_ButHealthAndModels()
    {
        var routes = _app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            // grpc-dotnet's "{service}/{method}" fallback answers gRPC (HTTP/2) only: UNIMPLEMENTED for unknown methods.
            .Where(e => e.RoutePattern.RawText is { } raw && !raw.StartsWith('{'))
            .Select(e => (Path: Path(e.RoutePattern.RawText!), Methods: e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET", "POST"]))
            .Where(r => r.Path.StartsWith('/') && !r.Path.StartsWith("/grpc.", StringComparison.Ordinal) && !r.Path.StartsWith("/grump.", StringComparison.Ordinal))
            .ToList();
        Assert.Contains(routes, r => r.Path == "/api/chat/complete");
        Assert.Contains(routes, r => r.Path == "/v1/x");

        foreach (var (path, methods) in routes)
        {
            foreach (var method in methods)
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), path);
                if (method is "POST" or "PUT" or "PATCH")
                {
                    request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
                }

                using var response = await _app.Http.SendAsync(request, Ct).DefaultTimeout();
                var open = OpenRoutes.Contains(path);
                Assert.True(open ? response.StatusCode != HttpStatusCode.Unauthorized : response.StatusCode == HttpStatusCode.Unauthorized,
                    $"{method} {path}: {response.StatusCode}");
            }
        }
    }

    /// <summary>A route pattern as a concrete path: every parameter (catch-alls too) becomes "x".</summary>
    private static string Path(string pattern)
    {
        var path = new StringBuilder();
        foreach (var segment in pattern.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            path.Append('/').Append(segment.StartsWith('{') ? "x" : segment);
        }

        return path.Length == 0 ? "/" : path.ToString();
    }

    private static async Task<StatusCode> CallAsync(CallInvoker invoker, MethodDescriptor descriptor)
    {
        var type = (descriptor.IsClientStreaming, descriptor.IsServerStreaming) switch
        {
            (false, false) => MethodType.Unary,
            (false, true) => MethodType.ServerStreaming,
            (true, false) => MethodType.ClientStreaming,
            _ => MethodType.DuplexStreaming,
        };
        var method = new Method<byte[], byte[]>(type, descriptor.Service.FullName, descriptor.Name, Bytes, Bytes);
        var options = new CallOptions(cancellationToken: Ct);
        try
        {
            switch (type)
            {
                case MethodType.Unary:
                    await invoker.AsyncUnaryCall(method, null, options, []);
                    break;
                case MethodType.ServerStreaming:
                    using (var call = invoker.AsyncServerStreamingCall(method, null, options, []))
                    {
                        await call.ResponseStream.MoveNext(Ct);
                    }

                    break;
                case MethodType.ClientStreaming:
                    using (var call = invoker.AsyncClientStreamingCall(method, null, options))
                    {
                        await call.RequestStream.CompleteAsync();
                        await call.ResponseAsync;
                    }

                    break;
                default:
                    using (var call = invoker.AsyncDuplexStreamingCall(method, null, options))
                    {
                        await call.RequestStream.CompleteAsync();
                        await call.ResponseStream.MoveNext(Ct);
                    }

                    break;
            }

            return StatusCode.OK;
        }
        catch (RpcException ex)
        {
            return ex.StatusCode;
        }
    }
}

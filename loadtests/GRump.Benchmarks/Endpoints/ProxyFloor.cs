using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Grpc.Core;
using GRump.Benchmarks.Chat;
using GRump.Gateway.V1;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GRump.Benchmarks.Endpoints;

/// <summary>
/// The floor of this stack for a proxied chat call: the gateway's own <c>ChatService.Complete</c> contract served by
/// Kestrel (h2c, loopback) and grpc-dotnet, each call turned into an OpenAI chat request sent with a bare
/// <see cref="HttpClient"/> (SocketsHttpHandler, no resilience, no logging) and the answer's text returned. Nothing
/// else: no key, rate limit, budget, routing, cache, metering, ledger, metrics or logging. What the gateway costs per
/// call above this is the cost of what it does; what this costs is the cost of ASP.NET Core + HttpClient + the kernel.
/// usage: proxy-floor --upstream URL [--port N]   (runs until Ctrl+C; the load runner's chat-grpc-named scenario
/// targets it as --gateway-grpc)
/// </summary>
internal static class ProxyFloor
{
    public static int Serve(string[] args)
    {
        var upstream = ChatOverhead.Arg(args, "--upstream") ?? throw new ArgumentException("--upstream URL is required");
        var port = int.Parse(ChatOverhead.Arg(args, "--port") ?? "0", System.Globalization.CultureInfo.InvariantCulture);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(new HttpClient(new SocketsHttpHandler
        {
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        })
        { BaseAddress = new Uri(upstream), Timeout = Timeout.InfiniteTimeSpan });
        using var app = builder.Build();
        app.MapGrpcService<FloorChatService>();
        app.StartAsync().GetAwaiter().GetResult();
        Console.WriteLine($"Serving {BenchServer.Address(app)} (pid {Environment.ProcessId})");
        app.WaitForShutdown();
        return 0;
    }

    private sealed class FloorChatService(HttpClient http) : ChatService.ChatServiceBase
    {
        private static readonly Uri Path = new("v1/chat/completions", UriKind.Relative);
        private static readonly MediaTypeHeaderValue Json = new("application/json");

        public override async Task<CompleteResponse> Complete(CompleteRequest request, ServerCallContext context)
        {
            var body = new ArrayBufferWriter<byte>(512);
            using (var json = new Utf8JsonWriter(body))
            {
                json.WriteStartObject();
                json.WriteString("model"u8, request.Chat.Model);
                json.WriteStartArray("messages"u8);
                foreach (var message in request.Chat.Messages)
                {
                    json.WriteStartObject();
                    json.WriteString("role"u8, message.Role);
                    json.WriteString("content"u8, message.Content);
                    json.WriteEndObject();
                }
                json.WriteEndArray();
                json.WriteEndObject();
            }
            using var upstream = new HttpRequestMessage(HttpMethod.Post, Path) { Content = new ReadOnlyMemoryContent(body.WrittenMemory) };
            upstream.Content.Headers.ContentType = Json;
            upstream.Headers.TryAddWithoutValidation("Authorization", "Bearer bench");
            using var answer = await http.SendAsync(upstream, HttpCompletionOption.ResponseContentRead, context.CancellationToken);
            answer.EnsureSuccessStatusCode();
            await using var stream = await answer.Content.ReadAsStreamAsync(context.CancellationToken);
            using var document = await JsonDocument.ParseAsync(stream, cancellationToken: context.CancellationToken);
            var root = document.RootElement;
            var choice = root.GetProperty("choices")[0];
            var usage = root.GetProperty("usage");
            return new CompleteResponse
            {
                Id = root.GetProperty("id").GetString() ?? "",
                Content = choice.GetProperty("message").GetProperty("content").GetString() ?? "",
                FinishReason = choice.GetProperty("finish_reason").GetString() ?? "",
                Outcome = new ChatOutcome
                {
                    Model = request.Chat.Model,
                    Usage = new TokenUsage
                    {
                        InputTokens = usage.GetProperty("prompt_tokens").GetInt64(),
                        OutputTokens = usage.GetProperty("completion_tokens").GetInt64(),
                    },
                },
            };
        }
    }
}

using GRump.Gateway.Tests.Infrastructure;
using GRump.Gateway.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace GRump.Gateway.Tests.Hosting;

/// <summary>
/// What the gateway loads at start stays resident for the life of the process (issue 22, docs/performance.md "What
/// loads at start"): the real process, its mapped files read from /proc.
/// </summary>
public sealed class StartupFootprintTests
{
    // Each was mapped before, and none is needed to serve gRPC or /v1 calls: the XML stack (YARP's data-protection key
    // ring, the dashboard's embedded-file manifest), expression trees (minimal-API request delegates and grpc-dotnet's
    // per-call service factories), MVC (an application-part attribute read by the hosting-startup scan; the REST door,
    // JSON transcoding, uses MVC's types and loads it on its first call), IIS and QUIC (WebApplication.CreateBuilder's
    // defaults).
    private static readonly string[] UnusedToServe =
    [
        "System.Private.Xml.dll",
        "System.Linq.Expressions.dll",
        "Microsoft.AspNetCore.Mvc.Core.dll",
        "Microsoft.AspNetCore.Server.IIS.dll",
        "System.Net.Quic.dll",
    ];

    [Fact]
    public async Task ServingGrpcAndV1Calls_LoadsNoneOfTheUnusedStacks_AndWritesNothingUnderHome()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "reads /proc/PID/maps");
        var ct = TestContext.Current.CancellationToken;
        var home = Directory.CreateTempSubdirectory("grump-home-").FullName;
        try
        {
            await using var gateway = await GatewayProcess.StartAsync(new Dictionary<string, string> { ["HOME"] = home }, ct);
            using var http = new HttpClient { BaseAddress = gateway.HttpUrl, Timeout = TestTimeouts.Default };
            using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(gateway.GrpcUrl);

            // Act: gRPC calls (a chat through the local model among them) and the /v1 door (a minimal-API endpoint, its
            // request delegate generated at build time)
            var health = await http.GetStringAsync("/healthz", ct);
            var parsed = await new IntentService.IntentServiceClient(channel).ParseIntentAsync(new ParseIntentRequest { Raw = "hello" }, cancellationToken: ct);
            using var models = await http.GetAsync("/v1/models", ct);
            var chat = await new ChatService.ChatServiceClient(channel).CompleteAsync(new CompleteRequest
            {
                Chat = new ChatRequest { Model = "grump-local-dev", Messages = { new ChatMessage { Role = "user", Content = "hello" } } },
            }, cancellationToken: ct);
            var maps = await File.ReadAllTextAsync($"/proc/{gateway.Id}/maps", ct);

            // Assert: the calls were served, the maps are the gateway's, and none of the stacks is in them
            Assert.Equal("Healthy", health);
            Assert.Equal("hello", parsed.Intent.Raw);
            Assert.True(models.IsSuccessStatusCode, $"/v1/models: {(int)models.StatusCode}");
            Assert.NotEmpty(chat.Content);
            Assert.Contains("/GRump.Gateway.dll", maps, StringComparison.Ordinal);
            Assert.Contains("/System.Private.CoreLib.dll", maps, StringComparison.Ordinal);
            Assert.All(UnusedToServe, assembly => Assert.DoesNotContain("/" + assembly, maps, StringComparison.Ordinal));
            Assert.Empty(Directory.EnumerateFiles(home, "*", SearchOption.AllDirectories)); // no data-protection key ring

            // And the REST door still serves (it loads MVC, which JSON transcoding uses)
            using var rest = await http.PostAsync("/api/intent/parse", new StringContent("""{"raw":"hello"}""", System.Text.Encoding.UTF8, "application/json"), ct);
            Assert.True(rest.IsSuccessStatusCode, $"/api/intent/parse: {(int)rest.StatusCode}");
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }

    [Fact]
    public async Task HostedServices_DoNotLoadADataProtectionKeyRingAtStart()
    {
        // Arrange: the whole gateway's services (any later AddDataProtection would bring the hosted service back)
        await using var app = new GatewayApp();

        // Act
        var hosted = app.Services.GetServices<IHostedService>().Select(s => s.GetType().FullName).ToList();

        // Assert
        Assert.NotEmpty(hosted);
        Assert.DoesNotContain("Microsoft.AspNetCore.DataProtection.Internal.DataProtectionHostedService", hosted);
    }
}

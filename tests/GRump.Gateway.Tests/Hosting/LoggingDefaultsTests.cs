using GRump.Gateway.Hosting;
using GRump.Gateway.Routing;
using GRump.Gateway.Tests.Infrastructure;
using GRump.Gateway.Tests.Providers;
using GRump.Gateway.V1;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GRump.Gateway.Tests.Hosting;

/// <summary>Log levels are right without appsettings.json, and proxied requests log O(1) lines, not one per request.</summary>
public sealed class LoggingDefaultsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Defaults_WithoutAppSettings_FrameworkCategoriesStartAtWarning()
    {
        // Arrange: a content root without appsettings.json (the DLL started from another directory).
        var root = Directory.CreateTempSubdirectory("grump-logging-").FullName;
        try
        {
            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = root, Args = [] });

            // Act
            builder.AddGatewayHosting();
            await using var app = builder.Build();
            var loggers = app.Services.GetRequiredService<ILoggerFactory>();

            // Assert: per-request framework lines are off; the gateway's own Information lines are on.
            Assert.False(loggers.CreateLogger("Microsoft.AspNetCore.Hosting.Diagnostics").IsEnabled(LogLevel.Information));
            Assert.False(loggers.CreateLogger("Microsoft.AspNetCore.Routing.EndpointMiddleware").IsEnabled(LogLevel.Information));
            Assert.False(loggers.CreateLogger("System.Net.Http.HttpClient.nim.LogicalHandler").IsEnabled(LogLevel.Information));
            Assert.False(loggers.CreateLogger("Polly").IsEnabled(LogLevel.Information));
            Assert.False(loggers.CreateLogger("Grpc.AspNetCore.Server.ServerCallHandler").IsEnabled(LogLevel.Information));
            Assert.True(loggers.CreateLogger("Polly").IsEnabled(LogLevel.Warning));
            Assert.True(loggers.CreateLogger("Microsoft.Hosting.Lifetime").IsEnabled(LogLevel.Information));
            Assert.True(loggers.CreateLogger("GRump.Gateway").IsEnabled(LogLevel.Information));
            Assert.False(loggers.CreateLogger("GRump.Gateway").IsEnabled(LogLevel.Debug));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task Defaults_AnyOtherSource_OverridesThem()
    {
        // Arrange
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Logging:LogLevel:Polly"] = "Information" });

        // Act
        builder.AddGatewayHosting();
        await using var app = builder.Build();

        // Assert
        Assert.True(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Polly").IsEnabled(LogLevel.Information));
    }

    [Theory]
    [InlineData(null, "simple")]
    [InlineData("json", "json")]
    [InlineData("systemd", "systemd")]
    public async Task ConsoleFormat_FromConfiguration_IsHonoured(string? configured, string expected)
    {
        // Arrange: the slim builder adds the console logger as "simple" after binding Logging:Console
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Logging:Console:FormatterName"] = configured });

        // Act
        builder.AddGatewayHosting();
        await using var app = builder.Build();

        // Assert
        Assert.Equal(expected, app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>>().CurrentValue.FormatterName);
    }

    [Fact]
    public async Task ProxiedRequests_LogAConstantNumberOfLines_NotOnePerRequest()
    {
        // Arrange: a gateway proxying to the fake upstream; one request first so start-up lines are behind us.
        await using var h = await UpstreamHarness.StartAsync();
        await h.Chat.CompleteAsync(new CompleteRequest { Chat = UpstreamHarness.Ask("warm up", ModelRegistry.KimiK25) }, cancellationToken: Ct).ResponseAsync.DefaultTimeout();
        var before = Loud(h.App).Count;

        // Act: distinct prompts, so each one goes upstream (no cache hit), over gRPC and the OpenAI door.
        const int Requests = 40;
        for (var i = 0; i < Requests / 2; i++)
        {
            await h.Chat.CompleteAsync(new CompleteRequest { Chat = UpstreamHarness.Ask($"question number {i}", ModelRegistry.KimiK25) }, cancellationToken: Ct).ResponseAsync.DefaultTimeout();
            using var response = await h.App.Http.PostAsync("/v1/chat/completions", new StringContent(
                $$"""{"model":"{{ModelRegistry.KimiK25}}","messages":[{"role":"user","content":"another question {{i}}"}]}""",
                System.Text.Encoding.UTF8, "application/json"), Ct).DefaultTimeout();
            Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
        }

        // Assert: Information and above only for what happens once, whatever the number of requests.
        var lines = Loud(h.App).Skip(before).ToList();
        Assert.True(h.Fake.Requests.Count >= Requests, $"only {h.Fake.Requests.Count} upstream calls");
        Assert.True(lines.Count <= 2, "Per-request lines at Information or above:\n" + string.Join("\n", lines.Take(10)));
    }

    private static List<RecordingLoggerProvider.LogEntry> Loud(GatewayApp app) =>
        [.. app.Logs.Entries.Where(e => e.Level >= LogLevel.Information)];
}

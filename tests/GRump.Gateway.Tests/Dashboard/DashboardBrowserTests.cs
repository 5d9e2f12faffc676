using System.Text.Json;
using GRump.Fakes;
using GRump.Gateway.Routing;
using GRump.Gateway.Tests.Infrastructure;
using GRump.Gateway.Tests.Providers;
using GRump.Gateway.V1;
using Microsoft.Extensions.DependencyInjection;

namespace GRump.Gateway.Tests.Dashboard;

/// <summary>
/// The dashboard in headless Chromium (Debian's <c>/usr/bin/chromium</c>, driven by npm <c>playwright-core</c> from
/// <c>tests/interop/dashboard_browser.mjs</c>) against the real gateway in keyed mode with a fake upstream: a day of
/// scripted traffic for two tenants, then the script signs in, compares the page with <c>/api/cost/summary</c>, sends
/// more traffic and times the live updates, crosses 80 % and 100 % of a budget, switches tenants as an admin, and
/// checks both widths and the console. It writes <c>docs/dashboard.png</c> (the README's picture).
/// </summary>
public sealed class DashboardBrowserTests
{
    // What the fake bills per call (1,000 prompt + 1,000 completion tokens) at the registry's prices.
    private const double CheapCallUsd = (1000 * 0.60 + 1000 * 2.50) / 1e6;
    private const double PremiumCallUsd = (1000 * 3.0 + 1000 * 15.0) / 1e6;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Dashboard_InChromium_ShowsTheLedgersNumbers_LiveAndPerTenant()
    {
        // Arrange
        ExternalTool.Require("/usr/bin/chromium", "apt-get install chromium");
        ExternalTool.Require(Path.Combine(ExternalTool.InteropDir, "node_modules", "playwright-core", "package.json"), "run `npm ci --prefix tests/interop`");
        var clock = new ShiftedTimeProvider();
        await using var h = await UpstreamHarness.StartAsync(DashboardRouteTests.KeyedSettings(),
            configureServices: services => services.AddSingleton<TimeProvider>(clock));
        h.Fake.Default = new FakeBehavior { PromptTokens = 1000, CompletionTokens = 1000 };
        await ScriptTrafficAsync(h, clock);

        var work = Directory.CreateTempSubdirectory("grump-dashboard-").FullName;
        var configPath = Path.Combine(work, "config.json");
        var screenshot = Path.Combine(ExternalTool.RepoRoot, "docs", "dashboard.png");
        var written = TimeProvider.System.GetUtcNow().UtcDateTime;
        await File.WriteAllTextAsync(configPath, JsonSerializer.Serialize(new
        {
            baseUrl = h.App.HttpUrl.ToString(),
            keys = new { a = DashboardRouteTests.KeyA, b = DashboardRouteTests.KeyB, admin = DashboardRouteTests.AdminKey },
            models = new { cheap = ModelRegistry.KimiK25, premium = ModelRegistry.ClaudeSonnet },
            premiumCallUsd = PremiumCallUsd,
            screenshot,
            mobileScreenshot = Path.Combine(work, "dashboard-390.png"),
        }), Ct);

        // Act
        // A whole browser session (Chromium's first start alone takes ~25 s on a cold machine): a longer bound.
        var result = await ExternalTool.RunAsync("node", [Path.Combine(ExternalTool.InteropDir, "dashboard_browser.mjs"), configPath], Ct, timeout: TimeSpan.FromMinutes(3));

        // Assert
        Assert.True(result.ExitCode == 0, result.ToString());
        using var report = JsonDocument.Parse(result.StandardOutput);
        Assert.True(report.RootElement.GetProperty("ok").GetBoolean(), result.ToString());
        var updates = report.RootElement.GetProperty("liveUpdatesMs").EnumerateArray().Select(e => e.GetInt64()).ToList();
        Assert.Equal(4, updates.Count);
        Assert.All(updates, ms => Assert.InRange(ms, 0, 2000));
        Assert.True(File.GetLastWriteTimeUtc(screenshot) >= written.AddSeconds(-1), "docs/dashboard.png was not written by this run");
        TestContext.Current.TestOutputHelper?.WriteLine(result.StandardOutput);
        Directory.Delete(work, recursive: true);
    }

    /// <summary>
    /// About 30 hours of traffic, recorded at the times it claims: the ledger's clock is moved back and walked forward
    /// (timers and stopwatches stay real). Tenant a uses the cheap model, with cache hits; tenant b the premium one.
    /// </summary>
    private static async Task ScriptTrafficAsync(UpstreamHarness h, ShiftedTimeProvider clock)
    {
        var a = new Grpc.Core.Metadata { { "authorization", "Bearer " + DashboardRouteTests.KeyA } };
        var b = new Grpc.Core.Metadata { { "authorization", "Bearer " + DashboardRouteTests.KeyB } };
        const int Steps = 20;
        clock.Offset = TimeSpan.FromHours(-30);
        for (var step = 0; step < Steps; step++)
        {
            for (var i = 0; i < 1 + (step % 2); i++)
            {
                await h.Chat.CompleteAsync(new CompleteRequest { Chat = Ask($"tenant a, step {step}, call {i}", ModelRegistry.KimiK25) }, a, cancellationToken: Ct);
            }
            if (step % 3 == 0)
            {
                // The same deterministic question twice: the second is a cache hit, metered as savings.
                var cached = Ask($"what is our refund policy? ({step})", ModelRegistry.KimiK25);
                cached.Temperature = 0;
                await h.Chat.CompleteAsync(new CompleteRequest { Chat = cached }, a, cancellationToken: Ct);
                await h.Chat.CompleteAsync(new CompleteRequest { Chat = cached }, a, cancellationToken: Ct);
            }
            if (step % 4 == 1)
            {
                await h.Chat.CompleteAsync(new CompleteRequest { Chat = Ask($"tenant b, step {step}", ModelRegistry.ClaudeSonnet) }, b, cancellationToken: Ct);
            }
            clock.Offset += TimeSpan.FromHours(1.5);
        }
        clock.Offset = TimeSpan.Zero;

        // Routed calls (no model named): a simple question goes to the cheap model and counts routing savings.
        await h.Chat.CompleteAsync(new CompleteRequest { Chat = Ask("What is the capital of France?", string.Empty) }, a, cancellationToken: Ct);
        var today = await new CostService.CostServiceClient(h.App.Channel).GetBudgetAsync(new GetBudgetRequest(), a, cancellationToken: Ct);
        // The script's 80 % step needs today's spend below 8 premium calls.
        Assert.True(today.Status.DailySpentUsd < 8 * PremiumCallUsd, $"tenant a spent {today.Status.DailySpentUsd} today (cheap call {CheapCallUsd})");
    }

    private static ChatRequest Ask(string text, string model)
    {
        var request = UpstreamHarness.Ask(text, model);
        request.MaxTokens = 100;
        return request;
    }

    /// <summary>The system clock moved by <see cref="Offset"/> for wall-clock reads only; timestamps and timers stay real.</summary>
    private sealed class ShiftedTimeProvider : TimeProvider
    {
        public TimeSpan Offset { get; set; }

        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + Offset;
    }
}

using System.Net;
using System.Text.Json;
using GRump.Gateway.Auth;
using GRump.Gateway.Routing;

namespace GRump.Gateway.Tests.Cli;

/// <summary>Every command of the <c>grump</c> process against a real gateway: output, JSON, exit codes, keys.</summary>
public sealed class CliCommandTests
{
    private const string AliceKey = "alice-cli-key-0123456789";
    private const string BobKey = "bob-cli-key-0123456789";
    private const string AdminKey = "admin-cli-key-0123456789";

    private static Dictionary<string, string?> Keyed() => new()
    {
        ["Auth:Keys:0:Key"] = AliceKey,
        ["Auth:Keys:0:Tenant"] = "alice",
        ["Auth:Keys:1:Key"] = BobKey,
        ["Auth:Keys:1:Tenant"] = "bob",
        ["Auth:Keys:2:Key"] = AdminKey,
        ["Auth:Keys:2:Tenant"] = "ops",
        ["Auth:Keys:2:Role"] = CallerRoles.Admin,
    };

    [Fact]
    public async Task Version_Help_AndUsageErrors()
    {
        var none = new Dictionary<string, string?>();

        var version = await CliHarness.RunProcessAsync(none, "--version");
        var help = await CliHarness.RunProcessAsync(none, "--help");
        var planHelp = await CliHarness.RunProcessAsync(none, "plan", "--help");
        var missing = await CliHarness.RunProcessAsync(none, "plan");
        var unknown = await CliHarness.RunProcessAsync(none, "deploy");
        var empty = await CliHarness.RunProcessAsync(none, "ship-parallel", "--messages", " , ");
        var badUrl = await CliHarness.RunProcessAsync(none, "models", "--url", "ftp://x");

        Assert.Equal(0, version.ExitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+", version.Out);
        Assert.Equal(0, help.ExitCode);
        foreach (var command in new[] { "plan", "ship", "ship-parallel", "cost", "cache-clear", "models", "health" })
        {
            Assert.Contains(command, help.Out, StringComparison.Ordinal);
        }
        Assert.Contains("--no-cache", planHelp.Out, StringComparison.Ordinal);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("--message", missing.Error, StringComparison.Ordinal);
        Assert.Equal(2, unknown.ExitCode);
        Assert.Equal(2, empty.ExitCode);
        Assert.Contains("--messages", empty.Error, StringComparison.Ordinal);
        Assert.Equal(2, badUrl.ExitCode);
        Assert.Contains("--url", badUrl.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_ServingGateway_Exit0_NoGateway_Exit3WithoutRetries()
    {
        await using var h = await CliHarness.StartAsync();
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var closedPort = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var serving = await h.RunProcessAsync("health");
        var json = await h.RunProcessAsync("health", "--json");
        var down = await CliHarness.RunProcessAsync(h.Environment($"http://127.0.0.1:{closedPort}"), "health");

        Assert.Equal(0, serving.ExitCode);
        Assert.StartsWith("SERVING at " + h.App.GrpcUrl, serving.Out, StringComparison.Ordinal);
        using (var doc = JsonDocument.Parse(json.Out))
        {
            Assert.Equal("SERVING", doc.RootElement.GetProperty("status").GetString());
        }
        Assert.Equal(3, down.ExitCode);
        Assert.Contains("UNAVAILABLE", down.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("retrying", down.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Models_ListsTheRegistry_WithPricesAndAvailability()
    {
        await using var h = await CliHarness.StartAsync();

        var table = await h.RunProcessAsync("models");
        var json = await h.RunProcessAsync("models", "--json");

        Assert.Equal(0, table.ExitCode);
        Assert.Contains(ModelRegistry.KimiK25, table.Out, StringComparison.Ordinal);
        Assert.Contains(ModelRegistry.ClaudeSonnet, table.Out, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(json.Out);
        var kimi = doc.RootElement.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("id").GetString() == ModelRegistry.KimiK25);
        Assert.Equal(0.6, kimi.GetProperty("inputPricePerMillionUsd").GetDouble());
        Assert.True(kimi.GetProperty("available").GetBoolean());
    }

    [Fact]
    public async Task Cost_SummaryBudgetRecommendations_AfterAPlan()
    {
        await using var h = await CliHarness.StartAsync();
        Assert.Equal(0, (await h.RunProcessAsync("plan", "-m", "Add authentication")).ExitCode);

        var set = await h.RunProcessAsync("cost", "budget", "set", "--daily", "10", "--monthly", "200");
        var keep = await h.RunProcessAsync("cost", "budget", "set", "--alert-threshold", "50");
        var get = await h.RunProcessAsync("cost", "budget", "--json");
        var summary = await h.RunProcessAsync("cost", "summary");
        var summaryJson = await h.RunProcessAsync("cost", "summary", "--json");
        var recommendations = await h.RunProcessAsync("cost", "recommendations");

        Assert.True(set.ExitCode == 0, set.ToString());
        Assert.Contains("daily $10.00, monthly $200.00", set.Out, StringComparison.Ordinal);
        Assert.Equal(0, keep.ExitCode);
        using (var budget = JsonDocument.Parse(get.Out))
        {
            var b = budget.RootElement.GetProperty("budget");
            Assert.Equal(10, b.GetProperty("dailyLimitUsd").GetDouble());
            Assert.Equal(200, b.GetProperty("monthlyLimitUsd").GetDouble());
            Assert.Equal(50, b.GetProperty("alertThresholdPercent").GetDouble());
        }
        Assert.Equal(0, summary.ExitCode);
        Assert.Contains("Cost for default", summary.Out, StringComparison.Ordinal);
        using (var doc = JsonDocument.Parse(summaryJson.Out))
        {
            Assert.Equal("1", doc.RootElement.GetProperty("totalRequests").GetString());
            Assert.True(doc.RootElement.GetProperty("totalCost").GetDouble() > 0);
        }
        Assert.Equal(0, recommendations.ExitCode);
    }

    [Fact]
    public async Task CacheClear_EmptiesTheClientCache_ServerNeedsAnAdminKey()
    {
        await using var h = await CliHarness.StartAsync(Keyed());
        h.ApiKey = AliceKey;
        await h.RunProcessAsync("plan", "-m", "Add authentication");

        var cleared = await h.RunProcessAsync("cache-clear");
        var again = await h.RunProcessAsync("plan", "-m", "Add authentication");
        var denied = await h.RunProcessAsync("cache-clear", "--server");
        h.ApiKey = AdminKey;
        var admin = await h.RunProcessAsync("cache-clear", "--server", "--json");

        Assert.Equal(0, cleared.ExitCode);
        Assert.StartsWith("Removed 1 cached plan from", cleared.Out, StringComparison.Ordinal);
        Assert.Equal(0, again.ExitCode);
        Assert.DoesNotContain("client cache", again.Error, StringComparison.Ordinal);
        Assert.Equal(4, denied.ExitCode);
        Assert.Contains("PERMISSION_DENIED", denied.Error, StringComparison.Ordinal);
        Assert.Equal(0, admin.ExitCode);
        using var doc = JsonDocument.Parse(admin.Out);
        Assert.True(doc.RootElement.GetProperty("server").GetProperty("removed").GetInt64() >= 1);
    }

    [Fact]
    public async Task Keys_NoKey_OtherTenant_SpentBudget_HaveTheirExitCodes()
    {
        await using var h = await CliHarness.StartAsync(Keyed());

        var anonymous = await h.RunProcessAsync("plan", "-m", "Add authentication", "--json");
        h.ApiKey = AliceKey;
        var otherTenant = await h.RunProcessAsync("cost", "summary", "--user", "bob");
        var tooSmall = await h.RunProcessAsync("cost", "budget", "set", "--daily", "0.000001");
        var spent = await h.RunProcessAsync("plan", "-m", "Design a multi-region payments platform", "--model", ModelRegistry.ClaudeSonnet);

        Assert.Equal(4, anonymous.ExitCode);
        using (var doc = JsonDocument.Parse(anonymous.Out))
        {
            Assert.Equal("UNAUTHENTICATED", doc.RootElement.GetProperty("error").GetProperty("code").GetString());
        }
        Assert.Contains("GRUMP_API_KEY", anonymous.Error, StringComparison.Ordinal);
        Assert.Equal(4, otherTenant.ExitCode);
        Assert.Contains("PERMISSION_DENIED", otherTenant.Error, StringComparison.Ordinal);
        Assert.Equal(0, tooSmall.ExitCode);
        Assert.Equal(5, spent.ExitCode);
        Assert.Contains("RESOURCE_EXHAUSTED", spent.Error, StringComparison.Ordinal);
        Assert.Equal(0, h.Fake.RequestCount);
    }
}

using System.Text.Json;
using GRump.Fakes;
using GRump.Gateway.Routing;
using GRump.Gateway.Tests.Infrastructure;
using GRump.Gateway.V1;

namespace GRump.Gateway.Tests.Cli;

/// <summary>The seed's developer workflow through the real CLI against a real gateway and the fake upstream.</summary>
public sealed class CliWorkflowTests
{
    private static readonly string[] ShipOutputInOrder = ["## Architecture", "ARCHITECTURE-OUT", "## Plan", "PLAN-OUT", "## Code", "CODE-OUT"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<long> LedgerRequestsAsync(CliHarness h) =>
        (await new CostService.CostServiceClient(h.App.Channel).GetSummaryAsync(new GetSummaryRequest(), cancellationToken: Ct)).TotalRequests;

    [Fact]
    public async Task Plan_SecondIdenticalPlan_IsServedFromTheClientCache_WithoutAnyCall()
    {
        await using var h = await CliHarness.StartAsync();

        var first = await h.RunProcessAsync("plan", "--message", "Add authentication");
        var upstreamAfterFirst = h.Fake.RequestCount;
        var ledgerAfterFirst = await LedgerRequestsAsync(h);
        var second = await h.RunProcessAsync("plan", "--message", "Add authentication");

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Contains("Echo: ", first.Out, StringComparison.Ordinal);
        Assert.Contains("intent: features", first.Error, StringComparison.Ordinal);
        Assert.Contains("gateway cache MISS", first.Error, StringComparison.Ordinal);
        Assert.Equal(1, upstreamAfterFirst);
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Equal(first.Out, second.Out);
        Assert.Contains("from the client cache", second.Error, StringComparison.Ordinal);
        // No upstream call, and not even a gateway call: a gateway cache hit would have added a ledger row.
        Assert.Equal(1, h.Fake.RequestCount);
        Assert.Equal(ledgerAfterFirst, await LedgerRequestsAsync(h));
    }

    [Fact]
    public async Task Plan_NoCache_SkipsTheClientCacheAndTheGatewayCache()
    {
        await using var h = await CliHarness.StartAsync();

        await h.RunAsync("plan", "-m", "Add a search box");
        var fresh = await h.RunAsync("plan", "-m", "Add a search box", "--no-cache");

        Assert.Equal(0, fresh.ExitCode);
        Assert.DoesNotContain("client cache", fresh.Error, StringComparison.Ordinal);
        Assert.Equal(2, h.Fake.RequestCount);
    }

    [Fact]
    public async Task Plan_Json_IsOneDocument_WithIntentOutcomeAndWhereItCameFrom()
    {
        await using var h = await CliHarness.StartAsync();

        var first = await h.RunAsync("plan", "-m", "Add authentication with Postgres", "--json");
        var second = await h.RunAsync("plan", "-m", "Add authentication with Postgres", "--json");

        using var a = JsonDocument.Parse(first.Out);
        using var b = JsonDocument.Parse(second.Out);
        Assert.False(a.RootElement.GetProperty("clientCache").GetBoolean());
        Assert.True(b.RootElement.GetProperty("clientCache").GetBoolean());
        Assert.StartsWith("Echo: ", a.RootElement.GetProperty("content").GetString(), StringComparison.Ordinal);
        Assert.Equal(a.RootElement.GetProperty("content").GetString(), b.RootElement.GetProperty("content").GetString());
        Assert.Equal("CACHE_TIER_MISS", a.RootElement.GetProperty("outcome").GetProperty("cache").GetString());
        Assert.Contains("postgresql", a.RootElement.GetProperty("intent").GetProperty("techStackHints").EnumerateArray().Select(e => e.GetString()), StringComparer.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Ship_StreamsEveryPhase_EachPhaseFedThePreviousOutput()
    {
        await using var h = await CliHarness.StartAsync();
        h.Fake.Enqueue(new FakeBehavior { Content = "ARCHITECTURE-OUT: api, db" });
        h.Fake.Enqueue(new FakeBehavior { Content = "PLAN-OUT: 1. schema 2. api" });
        h.Fake.Enqueue(new FakeBehavior { Content = "CODE-OUT: app.py" });

        var result = await h.RunProcessAsync("ship", "--message", "Todo app with auth");

        Assert.True(result.ExitCode == 0, result.ToString());
        var order = ShipOutputInOrder.Select(s => result.Out.IndexOf(s, StringComparison.Ordinal)).ToList();
        Assert.DoesNotContain(-1, order);
        Assert.Equal(order.Order(), order);
        Assert.Contains("architecture: ", result.Error, StringComparison.Ordinal);
        Assert.Contains("ship: ", result.Error, StringComparison.Ordinal);
        var requests = h.Fake.Requests;
        Assert.Equal(3, requests.Count);
        Assert.Contains("ARCHITECTURE-OUT", requests[1].Body, StringComparison.Ordinal);
        Assert.Contains("PLAN-OUT", requests[2].Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ShipParallel_RunsItsWorkflowsConcurrently_ThenPrintsTheTableAndEachResult()
    {
        await using var h = await CliHarness.StartAsync();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        h.Fake.Default = new FakeBehavior { HoldBeforeHeaders = release.Task };
        string[] projects = ["Todo app", "Blog platform", "E-commerce site"];

        var run = h.RunAsync("ship-parallel", "--messages", string.Join(',', projects));
        // All three first phases reach the upstream while none has answered: the workflows overlap.
        foreach (var project in projects)
        {
            await h.Fake.WaitForRequestAsync(r => r.Body.Contains("Request: " + project, StringComparison.Ordinal), Ct);
        }
        var overlapping = h.Fake.InFlight;
        release.SetResult();
        var result = await run;

        Assert.Equal(3, overlapping);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(9, h.Fake.RequestCount);
        foreach (var project in projects)
        {
            Assert.Contains($"[{project}] done", result.Error, StringComparison.Ordinal);
            Assert.Contains($"# {project}", result.Out, StringComparison.Ordinal);
            Assert.Contains("Echo: Request: " + project, result.Out, StringComparison.Ordinal);
        }
        Assert.Contains("3/3 ok", result.Out, StringComparison.Ordinal);
        Assert.Contains("Tokens in / out", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ShipParallel_OneFailedWorkflow_IsItsRowsStatus_ExitCodePartial()
    {
        await using var h2 = await CliHarness.StartAsync(new Dictionary<string, string?> { ["Providers:Nim:MaxRetries"] = "0" });
        h2.Fake.Enqueue(new FakeBehavior());
        h2.Fake.Enqueue(new FakeBehavior());
        h2.Fake.Enqueue(new FakeBehavior());
        h2.Fake.Enqueue(new FakeBehavior { StatusCode = 400, ErrorMessage = "bad prompt" });
        var partial = await h2.RunAsync("ship-parallel", "--messages", "Todo app,Bad one", "--model", ModelRegistry.KimiK25, "--max-parallel", "1", "--json");

        Assert.Equal(6, partial.ExitCode);
        using var doc = JsonDocument.Parse(partial.Out);
        var workflows = doc.RootElement.GetProperty("workflows");
        Assert.Equal("ok", workflows[0].GetProperty("status").GetString());
        Assert.Equal("failed", workflows[1].GetProperty("status").GetString());
        Assert.NotEqual(JsonValueKind.Null, workflows[1].GetProperty("error").ValueKind);
        Assert.Equal(1, doc.RootElement.GetProperty("failed").GetInt32());
    }

    [Fact]
    public async Task Retry_GatewayUnavailableTwiceThenOk_IsRetriedAfter1sAnd2s()
    {
        await using var h = await CliHarness.StartAsync(new Dictionary<string, string?> { ["Providers:Nim:MaxRetries"] = "0" });
        h.Fake.Enqueue(new FakeBehavior { StatusCode = 503 });
        h.Fake.Enqueue(new FakeBehavior { StatusCode = 503 });
        var time = new RecordingTimeProvider();
        var errors = new SignalingWriter();

        var run = h.RunAsync(["plan", "-m", "Add authentication", "--model", ModelRegistry.KimiK25], time, errors, url: null);
        await errors.WaitForAsync("retrying in 1 s").DefaultTimeout();
        var afterFirst = h.Fake.RequestCount;
        time.Advance(TimeSpan.FromSeconds(1));
        await errors.WaitForAsync("retrying in 2 s").DefaultTimeout();
        var afterSecond = h.Fake.RequestCount;
        time.Advance(TimeSpan.FromSeconds(2));
        var result = await run;

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(1, afterFirst);
        Assert.Equal(2, afterSecond);
        Assert.Equal(3, h.Fake.RequestCount);
        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)], time.Delays);
        Assert.Contains("UNAVAILABLE", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Retry_InvalidArgument_IsNotRetried_ExitCode2()
    {
        await using var h = await CliHarness.StartAsync();
        var time = new RecordingTimeProvider();

        var result = await h.RunAsync(["plan", "-m", new string('x', 20_000)], time, error: null, url: null);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("INVALID_ARGUMENT: message", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("retrying", result.Error, StringComparison.Ordinal);
        Assert.Empty(time.Delays);
        Assert.Equal(0, h.Fake.RequestCount);
    }

    [Fact]
    public async Task Retry_Http500FromAProxy_IsRetriedThreeTimes_Http400IsNot()
    {
        await using var h = await CliHarness.StartAsync();
        await using var failing = await ScriptedHttpServer.StartAsync(500);
        await using var rejecting = await ScriptedHttpServer.StartAsync(400);
        var time = new RecordingTimeProvider();
        var errors = new SignalingWriter();

        var run = h.RunAsync(["models"], time, errors, failing.Url.ToString());
        foreach (var seconds in new[] { 1, 2, 4 })
        {
            await errors.WaitForAsync($"retrying in {seconds} s").DefaultTimeout();
            time.Advance(TimeSpan.FromSeconds(seconds));
        }
        var failed = await run;
        var rejected = await h.RunAsync(["models"], time, error: null, rejecting.Url.ToString());

        Assert.Equal(4, failing.Hits);
        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4)], time.Delays);
        Assert.Equal(1, failed.ExitCode);
        Assert.Equal(1, rejecting.Hits);
        Assert.NotEqual(0, rejected.ExitCode);
        Assert.DoesNotContain("retrying", rejected.Error, StringComparison.Ordinal);
    }
}

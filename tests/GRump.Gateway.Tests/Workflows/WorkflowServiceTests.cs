using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Grpc.Core;
using GRump.Fakes;
using GRump.Gateway.Routing;
using GRump.Gateway.Tests.Providers;
using GRump.Gateway.V1;

namespace GRump.Gateway.Tests.Workflows;

/// <summary>WorkflowService Plan and Ship over gRPC and REST: chat phases through the one pipeline, as a hostile tenant would try them too.</summary>
public sealed class WorkflowServiceTests
{
    private const string AliceKey = "alice-workflow-key-0123";
    private const string BobKey = "bob-workflow-key-0123456";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Dictionary<string, string?> Keyed() => new()
    {
        ["Auth:Keys:0:Key"] = AliceKey,
        ["Auth:Keys:0:Tenant"] = "alice",
        ["Auth:Keys:1:Key"] = BobKey,
        ["Auth:Keys:1:Tenant"] = "bob",
    };

    private static Metadata Key(string key) => [new Metadata.Entry("authorization", "Bearer " + key)];

    private static async Task<List<T>> ReadAllAsync<T>(AsyncServerStreamingCall<T> call)
    {
        var items = new List<T>();
        await foreach (var item in call.ResponseStream.ReadAllAsync(Ct))
        {
            items.Add(item);
        }
        return items;
    }

    private static async Task<GetSummaryResponse> SummaryAsync(UpstreamHarness h, string? key = null) =>
        await new CostService.CostServiceClient(h.App.Channel).GetSummaryAsync(new GetSummaryRequest(), key is null ? null : Key(key), cancellationToken: Ct);

    [Fact]
    public async Task Plan_IntentThenDeltasThenOutcome_OnePlanModeCall_MeteredAndCached()
    {
        await using var h = await UpstreamHarness.StartAsync();
        var client = new WorkflowService.WorkflowServiceClient(h.App.Channel);
        var request = new PlanRequest { Message = "Add authentication with JWT to a React and Postgres app" };

        var first = await ReadAllAsync(client.Plan(request, cancellationToken: Ct));
        var second = await ReadAllAsync(client.Plan(request, cancellationToken: Ct));

        Assert.Equal(PlanResponse.EventOneofCase.Intent, first[0].EventCase);
        Assert.Contains("react", first[0].Intent.TechStackHints, StringComparer.OrdinalIgnoreCase);
        Assert.All(first[1..^1], e => Assert.Equal(PlanResponse.EventOneofCase.Delta, e.EventCase));
        Assert.Equal(PlanResponse.EventOneofCase.Outcome, first[^1].EventCase);
        Assert.StartsWith("Echo: Request: Add authentication", string.Concat(first[1..^1].Select(e => e.Delta.Content)), StringComparison.Ordinal);
        var outcome = first[^1].Outcome;
        Assert.Equal(CacheTier.Miss, outcome.Cache);
        Assert.True(outcome.CostUsd > 0);
        Assert.Contains(outcome.Routing.Factors, f => f.Name == "mode");
        var upstream = Assert.Single(h.Fake.Requests);
        Assert.Contains("implementation plan", upstream.Body, StringComparison.Ordinal);
        // The repeat is the gateway cache's: no second upstream call, the saving metered.
        Assert.Equal(CacheTier.L1, second[^1].Outcome.Cache);
        Assert.Equal(outcome.CostUsd, second[^1].Outcome.CacheSavingsUsd, 12);
        var summary = await SummaryAsync(h);
        Assert.Equal(2, summary.TotalRequests);
        Assert.Equal(outcome.CostUsd, summary.TotalCost, 9);
        Assert.Equal(outcome.CostUsd, summary.CostByOperation["plan"], 9);
    }

    [Fact]
    public async Task Ship_PhasesInOrder_EachFedThePreviousOutput_EachRoutedInItsMode()
    {
        await using var h = await UpstreamHarness.StartAsync();
        h.Fake.Enqueue(new FakeBehavior { Content = "ARCH: a queue and a db" });
        h.Fake.Enqueue(new FakeBehavior { Content = "PLAN: 1. db 2. queue" });
        h.Fake.Enqueue(new FakeBehavior { Content = "CODE: main.go" });
        var client = new WorkflowService.WorkflowServiceClient(h.App.Channel);

        var events = await ReadAllAsync(client.Ship(new ShipRequest { Message = "Blog platform in Go" }, cancellationToken: Ct));

        Assert.Equal((ShipPhase.Intent, "completed"), (events[0].Phase, events[0].Status));
        Assert.NotNull(events[0].Intent);
        var phases = events.Skip(1).Where(e => e.Status != "delta").Select(e => (e.Phase, e.Status)).ToList();
        Assert.Equal(
            [(ShipPhase.Architecture, "started"), (ShipPhase.Architecture, "completed"), (ShipPhase.Plan, "started"), (ShipPhase.Plan, "completed"), (ShipPhase.Code, "started"), (ShipPhase.Code, "completed")],
            phases);
        Assert.Equal("CODE: main.go", string.Concat(events.Where(e => e.Phase == ShipPhase.Code && e.Status == "delta").Select(e => e.Content)));
        Assert.All(events.Where(e => e.Status == "completed" && e.Phase != ShipPhase.Intent), e => Assert.True(e.Outcome.CostUsd > 0));
        var requests = h.Fake.Requests;
        Assert.Equal(3, requests.Count);
        Assert.Contains("software architect", requests[0].Body, StringComparison.Ordinal);
        Assert.Contains("ARCH: a queue and a db", requests[1].Body, StringComparison.Ordinal);
        Assert.Contains("PLAN: 1. db 2. queue", requests[2].Body, StringComparison.Ordinal);
        var summary = await SummaryAsync(h);
        Assert.Equal(3, summary.TotalRequests);
        Assert.Equal(["ship.architecture", "ship.code", "ship.plan"], summary.CostByOperation.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Rest_PlanAndShip_AreNdjson()
    {
        await using var h = await UpstreamHarness.StartAsync();

        using var plan = await h.App.Http.PostAsync("/api/plan", new StringContent("""{"message":"Todo app"}""", Encoding.UTF8, "application/json"), Ct);
        using var ship = await h.App.Http.PostAsync("/api/ship", new StringContent("""{"message":"Todo app","model":"moonshotai/kimi-k2.5"}""", Encoding.UTF8, "application/json"), Ct);

        Assert.Equal(HttpStatusCode.OK, plan.StatusCode);
        var planLines = (await plan.Content.ReadAsStringAsync(Ct)).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l)).ToList();
        Assert.True(planLines[0].RootElement.TryGetProperty("intent", out _));
        Assert.True(planLines[^1].RootElement.TryGetProperty("outcome", out var outcome));
        Assert.Equal(ModelRegistry.KimiK25, outcome.GetProperty("model").GetString());
        Assert.Equal(HttpStatusCode.OK, ship.StatusCode);
        var shipLines = (await ship.Content.ReadAsStringAsync(Ct)).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal("SHIP_PHASE_INTENT", shipLines[0].GetProperty("phase").GetString());
        Assert.Equal("SHIP_PHASE_CODE", shipLines[^1].GetProperty("phase").GetString());
        Assert.Equal("completed", shipLines[^1].GetProperty("status").GetString());
        foreach (var line in planLines)
        {
            line.Dispose();
        }
    }

    [Fact]
    public async Task BadInput_IsInvalidArgumentNamingTheField_BeforeAnyCall()
    {
        await using var h = await UpstreamHarness.StartAsync();
        var client = new WorkflowService.WorkflowServiceClient(h.App.Channel);

        var empty = await Assert.ThrowsAsync<RpcException>(() => ReadAllAsync(client.Plan(new PlanRequest { Message = "  " }, cancellationToken: Ct)));
        var huge = await Assert.ThrowsAsync<RpcException>(() => ReadAllAsync(client.Ship(new ShipRequest { Message = new string('a', 20_000) }, cancellationToken: Ct)));
        var cache = await Assert.ThrowsAsync<RpcException>(() => ReadAllAsync(client.Plan(new PlanRequest { Message = "x", Cache = (CacheMode)42 }, cancellationToken: Ct)));
        using var rest = await h.App.Http.PostAsync("/api/ship", new StringContent("""{"message":""}""", Encoding.UTF8, "application/json"), Ct);

        Assert.Equal(StatusCode.InvalidArgument, empty.StatusCode);
        Assert.StartsWith("message:", empty.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.InvalidArgument, huge.StatusCode);
        Assert.StartsWith("cache:", cache.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, rest.StatusCode);
        Assert.Equal(0, h.Fake.RequestCount);
    }

    [Fact]
    public async Task NoKey_IsUnauthenticated_OverGrpcAndRest()
    {
        await using var h = await UpstreamHarness.StartAsync(Keyed());
        var client = new WorkflowService.WorkflowServiceClient(h.App.Channel);

        var grpc = await Assert.ThrowsAsync<RpcException>(() => ReadAllAsync(client.Ship(new ShipRequest { Message = "Todo app" }, cancellationToken: Ct)));
        using var rest = await h.App.Http.PostAsync("/api/plan", new StringContent("""{"message":"Todo app"}""", Encoding.UTF8, "application/json"), Ct);
        using var wrong = new HttpRequestMessage(HttpMethod.Post, "/api/plan") { Content = new StringContent("""{"message":"Todo app"}""", Encoding.UTF8, "application/json") };
        wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "not-a-key-of-this-gateway");
        using var wrongKey = await h.App.Http.SendAsync(wrong, Ct);

        Assert.Equal(StatusCode.Unauthenticated, grpc.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, rest.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongKey.StatusCode);
        Assert.Equal(0, h.Fake.RequestCount);
    }

    [Fact]
    public async Task AnotherTenantsKey_IsBilledToItsOwnTenant_AndNeverServedTheOthersCache()
    {
        await using var h = await UpstreamHarness.StartAsync(Keyed());
        var client = new WorkflowService.WorkflowServiceClient(h.App.Channel);
        var request = new PlanRequest { Message = "Payroll export for the finance team" };

        var alice = await ReadAllAsync(client.Plan(request, Key(AliceKey), cancellationToken: Ct));
        var bob = await ReadAllAsync(client.Plan(request, Key(BobKey), cancellationToken: Ct));

        Assert.Equal(CacheTier.Miss, alice[^1].Outcome.Cache);
        Assert.Equal(CacheTier.Miss, bob[^1].Outcome.Cache);
        Assert.Equal(2, h.Fake.RequestCount);
        Assert.Equal(1, (await SummaryAsync(h, AliceKey)).TotalRequests);
        Assert.Equal(1, (await SummaryAsync(h, BobKey)).TotalRequests);
    }

    [Fact]
    public async Task SpentBudget_IsResourceExhausted_BeforeAnyEventOrUpstreamCall()
    {
        await using var h = await UpstreamHarness.StartAsync(Keyed());
        var client = new WorkflowService.WorkflowServiceClient(h.App.Channel);
        await new CostService.CostServiceClient(h.App.Channel).SetBudgetAsync(new SetBudgetRequest { DailyLimitUsd = 0.000001 }, Key(AliceKey), cancellationToken: Ct);

        var events = new List<ShipResponse>();
        var grpc = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var item in client.Ship(new ShipRequest { Message = "Todo app" }, Key(AliceKey), cancellationToken: Ct).ResponseStream.ReadAllAsync(Ct))
            {
                events.Add(item);
            }
        });
        using var rest = new HttpRequestMessage(HttpMethod.Post, "/api/plan") { Content = new StringContent("""{"message":"Todo app"}""", Encoding.UTF8, "application/json") };
        rest.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AliceKey);
        using var response = await h.App.Http.SendAsync(rest, Ct);

        Assert.Equal(StatusCode.ResourceExhausted, grpc.StatusCode);
        Assert.Empty(events);
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal(0, h.Fake.RequestCount);
    }

    [Fact]
    public async Task FailedPhase_EndsTheStreamWithItsStatus_LaterPhasesDoNotRun()
    {
        await using var h = await UpstreamHarness.StartAsync(new Dictionary<string, string?> { ["Providers:Nim:MaxRetries"] = "0" });
        h.Fake.Enqueue(new FakeBehavior());
        h.Fake.Enqueue(new FakeBehavior { StatusCode = 503 });
        var client = new WorkflowService.WorkflowServiceClient(h.App.Channel);

        var events = new List<ShipResponse>();
        var failure = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var item in client.Ship(new ShipRequest { Message = "Todo app", Model = ModelRegistry.KimiK25 }, cancellationToken: Ct).ResponseStream.ReadAllAsync(Ct))
            {
                events.Add(item);
            }
        });

        Assert.Equal(StatusCode.Unavailable, failure.StatusCode);
        Assert.Contains(events, e => e.Phase == ShipPhase.Architecture && e.Status == "completed");
        Assert.DoesNotContain(events, e => e.Phase == ShipPhase.Plan && e.Status == "completed");
        Assert.Equal(2, h.Fake.RequestCount);
    }

    [Fact]
    public async Task ClientCancels_TheChainStops_TheUpstreamCallIsAborted_WhatRanIsBilled()
    {
        await using var h = await UpstreamHarness.StartAsync();
        var never = new TaskCompletionSource();
        h.Fake.Enqueue(new FakeBehavior());
        h.Fake.Enqueue(new FakeBehavior { HoldBeforeFirstChunk = never.Task });
        var client = new WorkflowService.WorkflowServiceClient(h.App.Channel);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        using var call = client.Ship(new ShipRequest { Message = "Todo app", Model = ModelRegistry.KimiK25 }, cancellationToken: cancel.Token);
        var read = ReadAllAsync(call);
        await h.Fake.WaitForRequestAsync(r => r.Body.Contains("Architecture:", StringComparison.Ordinal), Ct);
        await cancel.CancelAsync();

        var aborted = await h.Fake.WaitForAbortAsync(Ct);
        Assert.True(aborted.Aborted);
        var cancelled = await Assert.ThrowsAsync<RpcException>(() => read);
        Assert.Equal(StatusCode.Cancelled, cancelled.StatusCode);
        never.SetResult();
        var summary = await SummaryAsync(h);
        Assert.Equal(1, summary.TotalRequests);
        Assert.True(summary.TotalCost > 0);
        Assert.Equal(2, h.Fake.RequestCount);
    }
}

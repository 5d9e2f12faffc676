using System.Net;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using GRump.Gateway.Hosting;
using GRump.Gateway.Tests.Infrastructure;
using GRump.Gateway.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace GRump.Gateway.Tests.Hosting;

/// <summary>
/// Graceful shutdown: not ready at once (readyz 503, gRPC health NOT_SERVING), new calls served through the drain
/// delay, then refused with UNAVAILABLE while calls in flight finish.
/// </summary>
public sealed class GracefulShutdownTests
{
    [Fact]
    public async Task Stop_WithDrainDelay_NotReadyAtOnceServesThroughDelayThenRefusesWhileStreamFinishes()
    {
        // Arrange
        var clock = new FakeTimeProvider();
        var app = new GatewayApp(new Dictionary<string, string?> { ["Gateway:DrainDelay"] = "00:00:10" },
            services => services.AddSingleton<TimeProvider>(clock)).Start();
        var ct = TestContext.Current.CancellationToken;
        using var channel = GrpcChannel.ForAddress(app.GrpcUrl);
        using var http = new HttpClient { BaseAddress = app.HttpUrl, Timeout = TestTimeouts.Default };
        var intents = new IntentService.IntentServiceClient(channel);
        using var stream = intents.ParseIntents(cancellationToken: ct);
        await stream.RequestStream.WriteAsync(new ParseIntentsRequest { Raw = "before shutdown" }, ct).DefaultTimeout();
        Assert.True(await stream.ResponseStream.MoveNext(ct).DefaultTimeout());

        // Act: stop the host (what SIGTERM does), then look at the gateway during the drain delay.
        var stopping = app.DisposeAsync().AsTask();
        await app.Logs.WaitForAsync(e => e.Message.StartsWith("Shutting down: not ready", StringComparison.Ordinal), ct);
        using var readyDuringDelay = await http.GetAsync("/readyz", ct).DefaultTimeout();
        using var aliveDuringDelay = await http.GetAsync("/healthz", ct).DefaultTimeout();
        var healthDuringDelay = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest(), cancellationToken: ct).ResponseAsync.DefaultTimeout();
        var servedDuringDelay = await intents.ParseIntentAsync(new ParseIntentRequest { Raw = "new call while draining" }, cancellationToken: ct).ResponseAsync.DefaultTimeout();

        clock.Advance(TimeSpan.FromSeconds(10));
        await app.Logs.WaitForAsync(e => e.Message.StartsWith("Shutting down: new calls are refused", StringComparison.Ordinal), ct);
        var refused = await Assert.ThrowsAsync<RpcException>(() =>
            intents.ParseIntentAsync(new ParseIntentRequest { Raw = "new call after the delay" }, cancellationToken: ct).ResponseAsync.DefaultTimeout());

        await stream.RequestStream.WriteAsync(new ParseIntentsRequest { Raw = "in flight during shutdown" }, ct).DefaultTimeout();
        await stream.RequestStream.CompleteAsync().DefaultTimeout();
        var rest = new List<string>();
        while (await stream.ResponseStream.MoveNext(ct).DefaultTimeout())
        {
            rest.Add(stream.ResponseStream.Current.Intent.Raw);
        }
        await stopping.DefaultTimeout();

        // Assert
        Assert.Equal(HttpStatusCode.ServiceUnavailable, readyDuringDelay.StatusCode);
        Assert.Equal(HttpStatusCode.OK, aliveDuringDelay.StatusCode);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, healthDuringDelay.Status);
        Assert.Equal("new call while draining", servedDuringDelay.Intent.Raw);
        Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
        Assert.Equal(["in flight during shutdown"], rest);
        Assert.Equal(StatusCode.OK, stream.GetStatus().StatusCode);
    }

    [Fact]
    public async Task Refusing_NewCalls_UnavailableOnEveryDoorButProbes()
    {
        // Arrange
        await using var app = new GatewayApp().Start();
        var ct = TestContext.Current.CancellationToken;
        Assert.True(app.Services.GetRequiredService<GatewayDrain>().Advance(DrainPhase.Refusing));

        // Act
        var grpc = await Assert.ThrowsAsync<RpcException>(() =>
            new IntentService.IntentServiceClient(app.Channel).ParseIntentAsync(new ParseIntentRequest { Raw = "hello" }, cancellationToken: ct).ResponseAsync.DefaultTimeout());
        using var openAi = await app.Http.PostAsync("/v1/chat/completions",
            new StringContent("""{"model":"auto","messages":[{"role":"user","content":"hi"}]}""", System.Text.Encoding.UTF8, "application/json"), ct).DefaultTimeout();
        var openAiBody = await openAi.Content.ReadAsStringAsync(ct);
        using var rest = await app.Http.PostAsync("/api/intent/parse",
            new StringContent("""{"raw":"hello"}""", System.Text.Encoding.UTF8, "application/json"), ct).DefaultTimeout();
        var restBody = await rest.Content.ReadAsStringAsync(ct);
        using var alive = await app.Http.GetAsync("/healthz", ct).DefaultTimeout();
        using var ready = await app.Http.GetAsync("/readyz", ct).DefaultTimeout();
        var health = await new Health.HealthClient(app.Channel).CheckAsync(new HealthCheckRequest(), cancellationToken: ct).ResponseAsync.DefaultTimeout();

        // Assert
        Assert.Equal(StatusCode.Unavailable, grpc.StatusCode);
        Assert.Contains("shutting down", grpc.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, openAi.StatusCode);
        Assert.Contains("\"server_error\"", openAiBody, StringComparison.Ordinal);
        Assert.True(openAi.Headers.ConnectionClose);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, rest.StatusCode);
        Assert.Contains("SHUTTING_DOWN", restBody, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, health.Status);
    }

    [Fact]
    public async Task Refusing_OpenLiveFeeds_EndSoShutdownNeedNotWaitForThem()
    {
        // Arrange
        await using var app = new GatewayApp().Start();
        var ct = TestContext.Current.CancellationToken;
        using var watch = new CostService.CostServiceClient(app.Channel).WatchCost(new WatchCostRequest(), cancellationToken: ct);
        await watch.ResponseHeadersAsync.DefaultTimeout();
        using var feed = await app.Http.GetAsync("/api/cost/events", HttpCompletionOption.ResponseHeadersRead, ct).DefaultTimeout();
        using var reader = new StreamReader(await feed.Content.ReadAsStreamAsync(ct));
        var feedReady = new List<string>();
        while (await reader.ReadLineAsync(ct).AsTask().DefaultTimeout() is { Length: > 0 } line)
        {
            feedReady.Add(line);
        }

        // Act
        app.Services.GetRequiredService<GatewayDrain>().Advance(DrainPhase.Refusing);
        var watchEnd = await Assert.ThrowsAsync<RpcException>(() => watch.ResponseStream.MoveNext(ct).DefaultTimeout());
        var feedRest = await reader.ReadToEndAsync(ct).DefaultTimeout();

        // Assert
        Assert.Contains("event: ready", feedReady);
        Assert.Equal(StatusCode.Unavailable, watchEnd.StatusCode);
        Assert.Equal("", feedRest);
    }

    [Theory]
    [InlineData("00:00:30", "00:00:30")]
    [InlineData("00:00:40", "00:00:30")]
    public async Task Start_DrainDelayNotShorterThanShutdownTimeout_FailsBeforeListening(string drainDelay, string shutdownTimeout)
    {
        // Arrange
        await using var app = new GatewayApp(new Dictionary<string, string?>
        {
            ["Gateway:DrainDelay"] = drainDelay,
            ["Gateway:ShutdownTimeout"] = shutdownTimeout,
        }) { FailOnLoggedErrors = false };

        // Act
        var error = Record.Exception(() => app.Start());

        // Assert
        var validation = error as OptionsValidationException ?? (error as AggregateException)?.InnerExceptions.OfType<OptionsValidationException>().FirstOrDefault();
        Assert.True(validation is not null, $"Expected an options validation failure, got {error}");
        Assert.Contains("Gateway:DrainDelay", string.Join(" ", validation.Failures), StringComparison.Ordinal);
    }
}

using System.Net;
using Grpc.Health.V1;
using GRump.Gateway.Tests.Infrastructure;
using GRump.Gateway.V1;
using ReflectionV1 = Grpc.Reflection.V1;
using ReflectionV1Alpha = Grpc.Reflection.V1Alpha;

namespace GRump.Gateway.Tests.Hosting;

public sealed class PlatformEndpointsTests(SharedGateway gateway)
{
    public static readonly string[] ContractServices =
    [
        "grump.gateway.v1.IntentService",
        "grump.gateway.v1.ChatService",
        "grump.gateway.v1.RoutingService",
        "grump.gateway.v1.EmbeddingService",
        "grump.gateway.v1.CostService",
        "grump.gateway.v1.CacheService",
        "grump.gateway.v1.WorkflowService",
        "grpc.health.v1.Health",
    ];

    [Fact]
    public async Task GrpcHealth_Check_IsServing()
    {
        // Act
        var response = await new Health.HealthClient(gateway.App.Channel).CheckAsync(new HealthCheckRequest(), cancellationToken: TestContext.Current.CancellationToken);

        // Assert
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, response.Status);
    }

    [Theory]
    [InlineData("/healthz")]
    [InlineData("/readyz")]
    public async Task HttpHealth_Get_IsHealthy(string path)
    {
        // Act
        using var response = await gateway.App.Http.GetAsync(path, TestContext.Current.CancellationToken);

        // Assert
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task ReflectionV1_ListServices_ListsEveryContractService()
    {
        // Arrange
        var client = new ReflectionV1.ServerReflection.ServerReflectionClient(gateway.App.Channel);
        using var call = client.ServerReflectionInfo(cancellationToken: TestContext.Current.CancellationToken);

        // Act
        await call.RequestStream.WriteAsync(new ReflectionV1.ServerReflectionRequest { ListServices = "" }, TestContext.Current.CancellationToken).DefaultTimeout();
        await call.RequestStream.CompleteAsync().DefaultTimeout();
        Assert.True(await call.ResponseStream.MoveNext(TestContext.Current.CancellationToken).DefaultTimeout());
        var names = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();

        // Assert
        Assert.All(ContractServices, service => Assert.Contains(service, names));
    }

    [Fact]
    public async Task ReflectionV1Alpha_FileContainingSymbol_ReturnsIntentDescriptor()
    {
        // Arrange
        var client = new ReflectionV1Alpha.ServerReflection.ServerReflectionClient(gateway.App.Channel);
        using var call = client.ServerReflectionInfo(cancellationToken: TestContext.Current.CancellationToken);

        // Act
        await call.RequestStream.WriteAsync(new ReflectionV1Alpha.ServerReflectionRequest { FileContainingSymbol = "grump.gateway.v1.IntentService" }, TestContext.Current.CancellationToken).DefaultTimeout();
        await call.RequestStream.CompleteAsync().DefaultTimeout();
        Assert.True(await call.ResponseStream.MoveNext(TestContext.Current.CancellationToken).DefaultTimeout());
        var files = call.ResponseStream.Current.FileDescriptorResponse.FileDescriptorProto
            .Select(bytes => Google.Protobuf.Reflection.FileDescriptorProto.Parser.ParseFrom(bytes).Name).ToList();

        // Assert
        Assert.Contains("grump/gateway/v1/intent.proto", files);
    }

    [Fact]
    public async Task Metrics_AfterParses_ServesPrometheusTextWithGatewayMetrics()
    {
        // Arrange: a gateway of its own. On the shared one another test's scrape may be collecting while this one asks,
        // and the exporter hands a joining scrape that collection, taken before these parses were recorded.
        await using var app = new GatewayApp().Start();
        var client = new IntentService.IntentServiceClient(app.Channel);
        await client.ParseIntentAsync(new ParseIntentRequest { Raw = "Build a CLI in Go" }, cancellationToken: TestContext.Current.CancellationToken);
        await client.ParseIntentBatchAsync(new ParseIntentBatchRequest { Inputs = { new IntentInput { Raw = "Build an API" } } }, cancellationToken: TestContext.Current.CancellationToken);

        // Act
        using var response = await app.Http.GetAsync("/metrics", TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        // Assert
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("# TYPE compilation_duration_seconds histogram", text, StringComparison.Ordinal);
        Assert.Contains("compilation_duration_seconds_count", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE worker_queue_depth gauge", text, StringComparison.Ordinal);
        Assert.Contains("worker_tasks_total{", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GrpcPort_Http11Request_IsRejected()
    {
        // Arrange: the gRPC port speaks only HTTP/2 (h2c prior knowledge).
        using var http = new HttpClient { BaseAddress = gateway.App.GrpcUrl, Timeout = TestTimeouts.Default };

        // Act
        var failure = await Record.ExceptionAsync(async () =>
        {
            using var response = await http.GetAsync("/healthz", TestContext.Current.CancellationToken);
            Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
        });

        // Assert: either an error status or a refused protocol, never a served page.
        Assert.True(failure is null or HttpRequestException, failure?.ToString());
    }
}

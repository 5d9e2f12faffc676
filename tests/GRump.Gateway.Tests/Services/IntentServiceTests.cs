using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using GRump.Gateway.Tests.Infrastructure;
using GRump.Gateway.V1;

namespace GRump.Gateway.Tests.Services;

public sealed class IntentServiceTests(SharedGateway gateway)
{
    private const string TodoApp = "Build a todo app with authentication using React and PostgreSQL.";

    private IntentService.IntentServiceClient Client => new(gateway.App.Channel);

    [Fact]
    public async Task ParseIntent_OverGrpc_ReturnsCompiledIntent()
    {
        // Arrange
        var constraints = new Struct { Fields = { ["budget"] = Value.ForNumber(10) } };

        // Act
        var response = await Client.ParseIntentAsync(new ParseIntentRequest { Raw = "  " + TodoApp + "  ", Constraints = constraints }, cancellationToken: TestContext.Current.CancellationToken);

        // Assert
        var intent = response.Intent;
        Assert.Equal(TodoApp, intent.Raw);
        Assert.Equal(constraints, intent.Constraints);
        Assert.Contains("react", intent.TechStackHints);
        Assert.Contains("postgresql", intent.TechStackHints);
        Assert.Contains("authentication", intent.Features);
        Assert.Equal(["user"], intent.Actors);
        Assert.True(intent.Verification.WellFormed);
    }

    [Fact]
    public async Task ParseIntent_OverRest_ReturnsSameIntentAsGrpc()
    {
        // Act
        using var response = await gateway.App.Http.PostAsJsonAsync("/api/intent/parse", new { raw = TodoApp, constraints = new { budget = 10 } }, TestContext.Current.CancellationToken);
        var grpc = await Client.ParseIntentAsync(new ParseIntentRequest { Raw = TodoApp, Constraints = new Struct { Fields = { ["budget"] = Value.ForNumber(10) } } }, cancellationToken: TestContext.Current.CancellationToken);

        // Assert
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        var fromRest = ParseIntentResponse.Parser.WithDiscardUnknownFields(false).ParseJson(json);
        Assert.Equal(grpc, fromRest);
        using var document = JsonDocument.Parse(json);
        var intent = document.RootElement.GetProperty("intent");
        Assert.Equal(TodoApp, intent.GetProperty("raw").GetString());
        Assert.Equal(10, intent.GetProperty("constraints").GetProperty("budget").GetDouble());
        Assert.Equal(JsonValueKind.Array, intent.GetProperty("techStackHints").ValueKind);
        Assert.StartsWith("PROJECT_TYPE_", intent.GetProperty("projectType").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ParseIntent_OversizeText_IsInvalidArgumentWithFieldViolation()
    {
        // Arrange
        var raw = new string('a', 64 * 1024 + 1);

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() => Client.ParseIntentAsync(new ParseIntentRequest { Raw = raw }, cancellationToken: TestContext.Current.CancellationToken).ResponseAsync);

        // Assert
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("65537 bytes", error.Status.Detail, StringComparison.Ordinal);
        var badRequest = error.GetRpcStatus()?.GetDetail<Google.Rpc.BadRequest>();
        Assert.NotNull(badRequest);
        Assert.Equal("raw", Assert.Single(badRequest.FieldViolations).Field);
    }

    [Fact]
    public async Task ParseIntent_OversizeTextOverRest_Is400WithMessage()
    {
        // Act
        using var response = await gateway.App.Http.PostAsJsonAsync("/api/intent/parse", new { raw = new string('é', 40_000) }, TestContext.Current.CancellationToken);

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Contains("80000 bytes", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ParseIntent_MalformedJsonOverRest_Is400()
    {
        // Act
        using var content = new StringContent("{\"raw\": 12", System.Text.Encoding.UTF8, "application/json");
        using var response = await gateway.App.Http.PostAsync("/api/intent/parse", content, TestContext.Current.CancellationToken);

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task ParseIntent_EmptyText_SucceedsWithVerificationError()
    {
        // Act
        var response = await Client.ParseIntentAsync(new ParseIntentRequest { Raw = "   " }, cancellationToken: TestContext.Current.CancellationToken);

        // Assert
        Assert.False(response.Intent.Verification.WellFormed);
        Assert.Contains("Intent raw text is empty", response.Intent.Verification.Errors);
    }

    [Fact]
    public async Task ParseIntentBatch_ManyInputs_ResultsInInputOrder()
    {
        // Arrange
        var request = new ParseIntentBatchRequest();
        for (var i = 0; i < 200; i++)
        {
            request.Inputs.Add(new IntentInput { Raw = $"Prompt {i}: build an API with Django" });
        }

        // Act
        var response = await Client.ParseIntentBatchAsync(request, cancellationToken: TestContext.Current.CancellationToken);

        // Assert
        Assert.Equal(200, response.Intents.Count);
        for (var i = 0; i < 200; i++)
        {
            Assert.Equal($"Prompt {i}: build an API with Django", response.Intents[i].Raw);
        }

        Assert.Contains("django", response.Intents[7].TechStackHints);
    }

    [Fact]
    public async Task ParseIntentBatch_TooManyInputs_IsInvalidArgument()
    {
        // Arrange
        var request = new ParseIntentBatchRequest();
        for (var i = 0; i < 1001; i++)
        {
            request.Inputs.Add(new IntentInput { Raw = "x" });
        }

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() => Client.ParseIntentBatchAsync(request, cancellationToken: TestContext.Current.CancellationToken).ResponseAsync);

        // Assert
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("1001 inputs", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ParseIntentBatch_OverRest_ReturnsIntents()
    {
        // Act
        using var response = await gateway.App.Http.PostAsJsonAsync("/api/intent/batch", new { inputs = new[] { new { raw = "Use Vue" }, new { raw = "Use Svelte" } } }, TestContext.Current.CancellationToken);

        // Assert
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var batch = ParseIntentBatchResponse.Parser.ParseJson(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(["Use Vue", "Use Svelte"], batch.Intents.Select(i => i.Raw));
    }

    [Fact]
    public async Task ParseIntents_Bidi100Messages_ResponsesInRequestOrder()
    {
        // Arrange
        using var call = Client.ParseIntents(cancellationToken: TestContext.Current.CancellationToken);
        var texts = Enumerable.Range(0, 100).Select(i => i % 7 == 0
            ? $"Message {i}: " + string.Join(' ', Enumerable.Repeat("Build a dashboard with React and Redis.", 40))
            : $"Message {i}: add login").ToList();

        // Act: write everything first, so many parses are in flight at once and could finish out of order.
        var reader = Task.Run(async () =>
        {
            var results = new List<ParseIntentsResponse>();
            await foreach (var response in call.ResponseStream.ReadAllAsync(TestContext.Current.CancellationToken))
            {
                results.Add(response);
            }

            return results;
        }, TestContext.Current.CancellationToken);
        for (var i = 0; i < texts.Count; i++)
        {
            await call.RequestStream.WriteAsync(new ParseIntentsRequest { Raw = texts[i], CorrelationId = $"c{i}" }, TestContext.Current.CancellationToken).DefaultTimeout();
        }

        await call.RequestStream.CompleteAsync().DefaultTimeout();
        var results = await reader.DefaultTimeout();

        // Assert
        Assert.Equal(100, results.Count);
        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(i, results[i].Sequence);
            Assert.Equal($"c{i}", results[i].CorrelationId);
            Assert.Equal(texts[i], results[i].Intent.Raw);
        }
    }

    [Fact]
    public async Task ParseIntents_OversizeMessageMidStream_AnswersEarlierMessagesThenInvalidArgument()
    {
        // Arrange
        using var call = Client.ParseIntents(cancellationToken: TestContext.Current.CancellationToken);

        // Act
        await call.RequestStream.WriteAsync(new ParseIntentsRequest { Raw = "first" }, TestContext.Current.CancellationToken).DefaultTimeout();
        await call.RequestStream.WriteAsync(new ParseIntentsRequest { Raw = "second" }, TestContext.Current.CancellationToken).DefaultTimeout();
        await call.RequestStream.WriteAsync(new ParseIntentsRequest { Raw = new string('x', 70_000) }, TestContext.Current.CancellationToken).DefaultTimeout();
        var received = new List<string>();
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var response in call.ResponseStream.ReadAllAsync(TestContext.Current.CancellationToken))
            {
                received.Add(response.Intent.Raw);
            }
        }).DefaultTimeout();

        // Assert
        Assert.Equal(["first", "second"], received);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("messages[2].raw", error.Status.Detail, StringComparison.Ordinal);
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Grpc.Core;
using GRump.Gateway.Tests.Infrastructure;
using GRump.Gateway.Tokens;
using GRump.Gateway.V1;

namespace GRump.Gateway.Tests.Chat;

/// <summary>The embedded default: no provider configured, every chat path answers from the local development model.</summary>
public sealed class LocalChatTests(SharedGateway gateway)
{
    private ChatService.ChatServiceClient Client => new(gateway.App.Channel);

    private static ChatRequest Hello(string text = "Hello there, how are you today?") => new()
    {
        Messages = { new ChatMessage { Role = "user", Content = text } },
    };

    [Fact]
    public async Task Complete_IsLabelledLocal_Free_AndCountedWithTheTokenizer()
    {
        var response = await Client.CompleteAsync(new CompleteRequest { Chat = Hello() }, cancellationToken: TestContext.Current.CancellationToken);

        Assert.StartsWith("[GRump local development model: not an LLM]", response.Content, StringComparison.Ordinal);
        Assert.Equal("local", response.Outcome.Provider);
        Assert.Equal(0, response.Outcome.CostUsd);
        Assert.Equal(Gateway.Chat.ChatTokens.CountPrompt([Gateway.Chat.ChatMessage.FromText(Gateway.Chat.ChatRole.User, "Hello there, how are you today?")], []), response.Outcome.Usage.InputTokens);
        Assert.Equal(TokenCounter.Shared.Count(response.Content), response.Outcome.Usage.OutputTokens);
        Assert.False(response.Outcome.Usage.Estimated);
        Assert.StartsWith("chatcmpl-", response.Id, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StreamComplete_StartDeltasEnd_ConcatenateToTheCompleteAnswer()
    {
        var ct = TestContext.Current.CancellationToken;
        var whole = await Client.CompleteAsync(new CompleteRequest { Chat = Hello() }, cancellationToken: ct);

        using var call = Client.StreamComplete(new StreamCompleteRequest { Chat = Hello() }, cancellationToken: ct);
        var events = new List<StreamCompleteResponse>();
        await foreach (var item in call.ResponseStream.ReadAllAsync(ct))
        {
            events.Add(item);
        }

        Assert.Equal(StreamCompleteResponse.EventOneofCase.Start, events[0].EventCase);
        Assert.Equal("local", events[0].Start.Provider);
        Assert.Equal(StreamCompleteResponse.EventOneofCase.End, events[^1].EventCase);
        var deltas = events.Skip(1).SkipLast(1).ToList();
        Assert.True(deltas.Count > 5);
        Assert.All(deltas, e => Assert.Equal(StreamCompleteResponse.EventOneofCase.Delta, e.EventCase));
        Assert.Equal(whole.Content, string.Concat(deltas.Select(d => d.Delta.Content)));
        Assert.Equal(whole.Outcome.Usage, events[^1].End.Outcome.Usage);
        Assert.Equal("stop", events[^1].End.FinishReason);
    }

    [Fact]
    public async Task Complete_MaxTokens_TruncatesWithFinishReasonLength()
    {
        var request = Hello();
        request.MaxTokens = 5;

        var response = await Client.CompleteAsync(new CompleteRequest { Chat = request }, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal("length", response.FinishReason);
        Assert.InRange(response.Outcome.Usage.OutputTokens, 1, 5);
    }

    [Fact]
    public async Task ParallelComplete_ReturnsEveryIndexOnce_AndFailsOnlyTheBadItem()
    {
        var ct = TestContext.Current.CancellationToken;
        var request = new ParallelCompleteRequest();
        for (var i = 0; i < 50; i++)
        {
            request.Requests.Add(Hello($"question {i}"));
        }
        request.Requests[7].Messages[0].Role = "robot";

        using var call = Client.ParallelComplete(request, cancellationToken: ct);
        var results = new List<ParallelCompleteResponse>();
        await foreach (var item in call.ResponseStream.ReadAllAsync(ct))
        {
            results.Add(item);
        }

        Assert.Equal(Enumerable.Range(0, 50), results.Select(r => r.Index).Order());
        var failed = Assert.Single(results, r => r.ResultCase == ParallelCompleteResponse.ResultOneofCase.Error);
        Assert.Equal(7, failed.Index);
        Assert.Equal((int)StatusCode.InvalidArgument, failed.Error.Code);
        Assert.Contains("messages[0].role", failed.Error.Message, StringComparison.Ordinal);
        Assert.Contains("question 12", results.Single(r => r.Index == 12).Response.Content, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"messages":[]}""", "messages")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"temperature":3}""", "temperature")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"model":"no-such-model"}""", "model")]
    [InlineData("""{"messages":[{"role":"user","content":""}]}""", "messages[0].content")]
    public async Task Complete_BadInput_IsInvalidArgument_OverGrpcAndRest(string json, string field)
    {
        var ct = TestContext.Current.CancellationToken;
        var chat = ChatRequest.Parser.WithDiscardUnknownFields(true).ParseJson(json);

        var error = await Assert.ThrowsAsync<RpcException>(() => Client.CompleteAsync(new CompleteRequest { Chat = chat }, cancellationToken: ct).ResponseAsync);
        using var rest = await gateway.App.Http.PostAsync("/api/chat/complete", new StringContent(json, Encoding.UTF8, "application/json"), ct);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith(field, error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, rest.StatusCode);
    }

    [Fact]
    public async Task RestStream_IsNdjson_StartDeltasEnd()
    {
        var ct = TestContext.Current.CancellationToken;
        using var response = await gateway.App.Http.PostAsync("/api/chat/stream",
            new StringContent("""{"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"), ct);
        var lines = (await response.Content.ReadAsStringAsync(ct)).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(JsonDocument.Parse(lines[0]).RootElement.TryGetProperty("start", out _));
        Assert.True(JsonDocument.Parse(lines[^1]).RootElement.TryGetProperty("end", out _));
    }

    [Theory]
    [InlineData("""{"messages":"hi"}""", "messages")]
    [InlineData("""{"messages":[]}""", "messages")]
    [InlineData("""{"messages":[{"role":"user","content":[{"type":"image_url"}]}]}""", "messages[0].content[0].image_url")]
    [InlineData("""{"messages":[{"role":"user","content":[{"type":"input_audio"}]}]}""", "messages[0].content[0].type")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"n":2}""", "n")]
    [InlineData("""not json""", "body")]
    public async Task OpenAiChat_BadInput_Is400WithOpenAiErrorShape(string json, string param)
    {
        var ct = TestContext.Current.CancellationToken;
        using var response = await gateway.App.Http.PostAsync("/v1/chat/completions", new StringContent(json, Encoding.UTF8, "application/json"), ct);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("error");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal(param, error.GetProperty("param").GetString());
    }
}

using System.Buffers.Binary;
using System.Net;
using System.Text;
using System.Text.Json;
using GRump.Fakes;
using GRump.Gateway.Tests.Infrastructure;

namespace GRump.Gateway.Tests.Fakes;

/// <summary>The fake upstream against a plain HttpClient: its wire formats parse and its programmed behaviour holds.</summary>
public sealed class FakeUpstreamTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ChatStream_IncludeUsage_ChunksConcatenateThenUsageChunkThenDone()
    {
        // Arrange
        await using var fake = await FakeUpstream.StartAsync(Ct).DefaultTimeout();
        using var http = new HttpClient { Timeout = TestTimeouts.Default };

        // Act
        using var response = await PostAsync(http, fake.BaseUrl + "/v1/chat/completions",
            """{"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hello there world"}]}""");
        var events = await ReadSseAsync(response);

        // Assert
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("[DONE]", events[^1].Data);
        var chunks = events.SkipLast(1).Select(e => JsonDocument.Parse(e.Data).RootElement).ToList();
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString()));
        var content = chunks.SkipLast(1).Select(c => c.GetProperty("choices")[0]).ToList();
        Assert.Equal(4, content.Count);
        Assert.Equal("assistant", content[0].GetProperty("delta").GetProperty("role").GetString());
        Assert.All(content.Skip(1), c => Assert.False(c.GetProperty("delta").TryGetProperty("role", out _)));
        Assert.Equal("Echo: hello there world", string.Concat(content.Select(c => c.GetProperty("delta").GetProperty("content").GetString())));
        Assert.All(content.SkipLast(1), c => Assert.Equal(JsonValueKind.Null, c.GetProperty("finish_reason").ValueKind));
        Assert.Equal("stop", content[^1].GetProperty("finish_reason").GetString());
        var usageChunk = chunks[^1];
        Assert.Equal(0, usageChunk.GetProperty("choices").GetArrayLength());
        var usage = usageChunk.GetProperty("usage");
        var expectedPrompt = FakeUpstream.PromptTokensFor(["be brief", "hello there world"]);
        Assert.Equal(expectedPrompt, usage.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(4, usage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal(expectedPrompt + 4, usage.GetProperty("total_tokens").GetInt32());
        var recorded = await fake.WaitForRequestAsync(r => r.Finished, Ct);
        Assert.True(recorded.Completed);
        Assert.True(recorded.Stream);
        Assert.Equal("gpt-4o-mini", recorded.Model);
        Assert.Equal(FakeEndpoint.ChatCompletions, recorded.Endpoint);
        Assert.Equal((expectedPrompt, 4), (recorded.ReportedPromptTokens, recorded.ReportedCompletionTokens));
    }

    [Fact]
    public async Task Latency_RunsOnTheFakesClock_TheAnswerWaitsForItsAdvance()
    {
        // Arrange: a fake clock, and an hour of programmed latency that no test could wait for in real time
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        await using var fake = await FakeUpstream.StartAsync(new FakeUpstreamOptions { TimeProvider = clock }, Ct).DefaultTimeout();
        fake.Default = new FakeBehavior { Latency = TimeSpan.FromHours(1) };
        using var http = new HttpClient { Timeout = TestTimeouts.Default };

        // Act: the request waits on the clock; the clock moves
        var answer = PostAsync(http, fake.BaseUrl + "/v1/chat/completions", """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}""");
        await fake.WaitForRequestAsync(r => r.Delays == 1, Ct);
        var answeredBefore = answer.IsCompleted;
        clock.Advance(TimeSpan.FromHours(1));
        using var response = await answer.DefaultTimeout();

        // Assert
        Assert.False(answeredBefore);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Echo: hi", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Chat_IncludeUsageFalse_NoUsageInBodyOrStream()
    {
        // Arrange
        await using var fake = await FakeUpstream.StartAsync(Ct).DefaultTimeout();
        fake.Default = new FakeBehavior { IncludeUsage = false, Content = "fixed answer", Chunks = 2 };
        using var http = new HttpClient { Timeout = TestTimeouts.Default };

        // Act
        using var plain = await PostAsync(http, fake.BaseUrl + "/v1/chat/completions", """{"model":"m","messages":[{"role":"user","content":"hi"}]}""");
        var body = JsonDocument.Parse(await plain.Content.ReadAsStringAsync(Ct)).RootElement;
        using var streamed = await PostAsync(http, fake.BaseUrl + "/v1/chat/completions", """{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}""");
        var events = await ReadSseAsync(streamed);

        // Assert
        Assert.Equal("chat.completion", body.GetProperty("object").GetString());
        Assert.Equal("fixed answer", body.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
        Assert.False(body.TryGetProperty("usage", out _));
        Assert.Equal(3, events.Count);
        Assert.DoesNotContain(events, e => e.Data.Contains("usage", StringComparison.Ordinal));
        Assert.All(fake.Requests, r => Assert.Equal((0, 0), (r.ReportedPromptTokens, r.ReportedCompletionTokens)));
    }

    [Fact]
    public async Task ChatStream_UsageWithLastContentChunk_UsageRidesOnTheFinishChunk()
    {
        // Arrange
        await using var fake = await FakeUpstream.StartAsync(Ct).DefaultTimeout();
        fake.Enqueue(new FakeBehavior { UsageWithLastContentChunk = true, PromptTokens = 11, CompletionTokens = 7 });
        using var http = new HttpClient { Timeout = TestTimeouts.Default };

        // Act
        using var response = await PostAsync(http, fake.BaseUrl + "/v1/chat/completions", """{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}""");
        var events = await ReadSseAsync(response);

        // Assert
        Assert.Equal(5, events.Count);
        var last = JsonDocument.Parse(events[^2].Data).RootElement;
        Assert.Equal("stop", last.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal(18, last.GetProperty("usage").GetProperty("total_tokens").GetInt32());
    }

    [Fact]
    public async Task ChatStream_CutAfterChunks_AbortsWithoutFinishOrDone()
    {
        // Arrange
        await using var fake = await FakeUpstream.StartAsync(Ct).DefaultTimeout();
        fake.Enqueue(new FakeBehavior { CutAfterChunks = 2, Chunks = 5 });
        using var http = new HttpClient { Timeout = TestTimeouts.Default };

        // Act
        using var response = await PostAsync(http, fake.BaseUrl + "/v1/chat/completions", """{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"a longer question"}]}""");
        var events = new List<(string? Event, string Data)>();
        var error = await Record.ExceptionAsync(() => ReadSseAsync(response, events));

        // Assert
        Assert.True(error is IOException or HttpRequestException, $"Expected a broken response, got {error}");
        Assert.Equal(2, events.Count);
        Assert.DoesNotContain(events, e => e.Data.Contains("finish_reason\":\"stop", StringComparison.Ordinal) || e.Data == "[DONE]");
        var recorded = await fake.WaitForRequestAsync(r => r.Finished, Ct);
        Assert.True(recorded.Cut);
        Assert.False(recorded.Completed);
        Assert.False(recorded.Aborted);
    }

    [Fact]
    public async Task MessagesStream_Default_EventsInAnthropicOrderAndHeadersRecorded()
    {
        // Arrange
        await using var fake = await FakeUpstream.StartAsync(Ct).DefaultTimeout();
        using var http = new HttpClient { Timeout = TestTimeouts.Default };

        // Act
        using var response = await PostAsync(http, fake.BaseUrl + "/v1/messages",
            """{"model":"claude-3-5-haiku-latest","max_tokens":100,"system":"be brief","stream":true,"messages":[{"role":"user","content":[{"type":"text","text":"hello there"}]}]}""",
            ("x-api-key", "sk-ant-test"), ("anthropic-version", "2023-06-01"));
        var events = await ReadSseAsync(response);

        // Assert
        string[] expected = ["message_start", "content_block_start", "ping", "content_block_delta", "content_block_delta", "content_block_delta", "content_block_delta", "content_block_stop", "message_delta", "message_stop"];
        Assert.Equal(expected, events.Select(e => e.Event));
        var data = events.Select(e => JsonDocument.Parse(e.Data).RootElement).ToList();
        Assert.All(events.Zip(data), p => Assert.Equal(p.First.Event, p.Second.GetProperty("type").GetString()));
        var inputTokens = FakeUpstream.PromptTokensFor(["be brief", "hello there"]);
        var start = data[0].GetProperty("message");
        Assert.Equal("msg_", start.GetProperty("id").GetString()![..4]);
        Assert.Equal(inputTokens, start.GetProperty("usage").GetProperty("input_tokens").GetInt32());
        Assert.Equal(1, start.GetProperty("usage").GetProperty("output_tokens").GetInt32());
        var text = string.Concat(data.Where(d => d.GetProperty("type").GetString() == "content_block_delta").Select(d => d.GetProperty("delta").GetProperty("text").GetString()));
        Assert.Equal("Echo: hello there", text);
        Assert.Equal("end_turn", data[8].GetProperty("delta").GetProperty("stop_reason").GetString());
        Assert.Equal(4, data[8].GetProperty("usage").GetProperty("output_tokens").GetInt32());
        var recorded = await fake.WaitForRequestAsync(r => r.Finished, Ct);
        Assert.Equal("sk-ant-test", recorded.Header("x-api-key"));
        Assert.Equal("2023-06-01", recorded.Header("anthropic-version"));
        Assert.Equal((inputTokens, 4), (recorded.ReportedPromptTokens, recorded.ReportedCompletionTokens));
    }

    [Fact]
    public async Task MessagesStream_StreamErrorEvent_ErrorEventAfterChunksAndNoMessageStop()
    {
        // Arrange
        await using var fake = await FakeUpstream.StartAsync(Ct).DefaultTimeout();
        fake.Enqueue(new FakeBehavior { StreamErrorEvent = 1 });
        using var http = new HttpClient { Timeout = TestTimeouts.Default };

        // Act
        using var response = await PostAsync(http, fake.BaseUrl + "/v1/messages", """{"model":"c","max_tokens":10,"stream":true,"messages":[{"role":"user","content":"hi"}]}""", ("anthropic-version", "2023-06-01"));
        var events = await ReadSseAsync(response);

        // Assert
        Assert.Equal(["message_start", "content_block_start", "ping", "content_block_delta", "error"], events.Select(e => e.Event));
        var error = JsonDocument.Parse(events[^1].Data).RootElement;
        Assert.Equal("error", error.GetProperty("type").GetString());
        Assert.Equal("overloaded_error", error.GetProperty("error").GetProperty("type").GetString());
    }

    [Theory]
    [InlineData(429, "rate_limit_error")]
    [InlineData(529, "overloaded_error")]
    [InlineData(500, "api_error")]
    public async Task Messages_StatusCode_AnthropicErrorBodyAndRetryAfter(int status, string expectedType)
    {
        // Arrange
        await using var fake = await FakeUpstream.StartAsync(Ct).DefaultTimeout();
        fake.Enqueue(new FakeBehavior { StatusCode = status, RetryAfter = TimeSpan.FromSeconds(2) });
        using var http = new HttpClient { Timeout = TestTimeouts.Default };

        // Act
        using var response = await PostAsync(http, fake.BaseUrl + "/v1/messages", """{"model":"c","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}""", ("anthropic-version", "2023-06-01"));
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;

        // Assert
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("2", response.Headers.GetValues("retry-after").Single());
        Assert.Equal("error", body.GetProperty("type").GetString());
        Assert.Equal(expectedType, body.GetProperty("error").GetProperty("type").GetString());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("error").GetProperty("message").GetString()));
    }

    [Fact]
    public async Task Chat_StatusCodeThenDefault_OpenAiErrorBodyThenSuccess()
    {
        // Arrange
        await using var fake = await FakeUpstream.StartAsync(Ct).DefaultTimeout();
        fake.Enqueue(new FakeBehavior { StatusCode = 429 });
        using var http = new HttpClient { Timeout = TestTimeouts.Default };
        const string Body = """{"model":"m","messages":[{"role":"user","content":"hi"}]}""";

        // Act
        using var first = await PostAsync(http, fake.BaseUrl + "/v1/chat/completions", Body);
        var error = JsonDocument.Parse(await first.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("error");
        using var second = await PostAsync(http, fake.BaseUrl + "/v1/chat/completions", Body);

        // Assert
        Assert.Equal(HttpStatusCode.TooManyRequests, first.StatusCode);
        Assert.Equal("rate_limit_exceeded", error.GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal([429, 200], fake.Requests.Select(r => r.StatusCode));
    }

    [Fact]
    public async Task Embeddings_FloatAndBase64_BothEqualVectorFor()
    {
        // Arrange
        await using var fake = await FakeUpstream.StartAsync(Ct).DefaultTimeout();
        using var http = new HttpClient { Timeout = TestTimeouts.Default };

        // Act
        using var floats = await PostAsync(http, fake.BaseUrl + "/v1/embeddings", """{"model":"text-embedding-3-small","input":["alpha","beta gamma"]}""");
        var floatBody = JsonDocument.Parse(await floats.Content.ReadAsStringAsync(Ct)).RootElement;
        using var base64 = await PostAsync(http, fake.BaseUrl + "/v1/embeddings", """{"model":"text-embedding-3-small","input":"beta gamma","encoding_format":"base64"}""");
        var base64Body = JsonDocument.Parse(await base64.Content.ReadAsStringAsync(Ct)).RootElement;

        // Assert
        Assert.Equal("list", floatBody.GetProperty("object").GetString());
        var data = floatBody.GetProperty("data");
        Assert.Equal(FakeUpstream.VectorFor("alpha"), data[0].GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()));
        Assert.Equal(FakeUpstream.VectorFor("beta gamma"), data[1].GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()));
        Assert.Equal(1, data[1].GetProperty("index").GetInt32());
        Assert.NotEqual(FakeUpstream.VectorFor("alpha"), FakeUpstream.VectorFor("beta gamma"));
        Assert.Equal(3, floatBody.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        var bytes = Convert.FromBase64String(base64Body.GetProperty("data")[0].GetProperty("embedding").GetString()!);
        var decoded = Enumerable.Range(0, bytes.Length / 4).Select(i => BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * 4)));
        Assert.Equal(FakeUpstream.VectorFor("beta gamma"), decoded);
        Assert.Equal(["alpha", "beta gamma"], fake.Requests[0].Inputs);
    }

    [Fact]
    public async Task Hold_BeforeHeadersAndBeforeFirstChunk_ReleasedByTheTest()
    {
        // Arrange
        await using var fake = await FakeUpstream.StartAsync(Ct).DefaultTimeout();
        var headersGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var chunkGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        fake.Enqueue(new FakeBehavior { HoldBeforeHeaders = headersGate.Task, HoldBeforeFirstChunk = chunkGate.Task });
        using var http = new HttpClient { Timeout = TestTimeouts.Default };

        // Act + Assert: no headers while the first gate is closed, headers but no chunk while the second is.
        var sending = PostAsync(http, fake.BaseUrl + "/v1/chat/completions", """{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}""");
        var recorded = await fake.WaitForRequestAsync(_ => true, Ct);
        Assert.False(sending.IsCompleted);
        Assert.Equal(0, recorded.StatusCode);
        headersGate.SetResult();
        using var response = await sending;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var body = await response.Content.ReadAsStreamAsync(Ct);
        var buffer = new byte[1];
        var firstByte = body.ReadAsync(buffer, Ct).AsTask();
        Assert.False(firstByte.IsCompleted);
        Assert.False(recorded.Finished);
        chunkGate.SetResult();
        Assert.Equal(1, await firstByte.DefaultTimeout());
        Assert.True((await fake.WaitForRequestAsync(r => r.Finished, Ct)).Completed);
    }

    [Fact]
    public async Task Concurrency_TwoHeldRequests_InFlightAndMaxConcurrencyRecorded()
    {
        // Arrange
        await using var fake = await FakeUpstream.StartAsync(Ct).DefaultTimeout();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        fake.Default = new FakeBehavior { HoldBeforeHeaders = gate.Task };
        using var http = new HttpClient { Timeout = TestTimeouts.Default };

        // Act
        var calls = Enumerable.Range(0, 2)
            .Select(_ => PostAsync(http, fake.BaseUrl + "/v1/embeddings", """{"model":"e","input":"x"}"""))
            .ToList();
        await fake.WaitForRequestAsync(r => r.Sequence == 2, Ct);
        var inFlightWhileHeld = fake.InFlight;
        gate.SetResult();
        foreach (var call in calls)
        {
            using var response = await call;
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await fake.WaitForRequestAsync(r => r.Sequence == 1 && r.Finished, Ct);
        await fake.WaitForRequestAsync(r => r.Sequence == 2 && r.Finished, Ct);

        // Assert
        Assert.Equal(2, inFlightWhileHeld);
        Assert.Equal(2, fake.MaxConcurrency);
        Assert.Equal(0, fake.InFlight);
        Assert.Equal(2, fake.RequestCount);
        fake.Reset();
        Assert.Empty(fake.Requests);
        Assert.Equal((0, 0L), (fake.MaxConcurrency, fake.RequestCount));
    }

    [Fact]
    public async Task ClientGoesAway_WhileStreaming_WaitForAbortCompletes()
    {
        // Arrange
        await using var fake = await FakeUpstream.StartAsync(Ct).DefaultTimeout();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        fake.Enqueue(new FakeBehavior { HoldBeforeFirstChunk = gate.Task });
        var http = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { Timeout = TestTimeouts.Default };
        var response = await PostAsync(http, fake.BaseUrl + "/v1/chat/completions", """{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}""");

        // Act: the client goes away with only the headers read.
        response.Dispose();
        http.Dispose();
        var aborted = await fake.WaitForAbortAsync(Ct);

        // Assert
        Assert.True(aborted.Aborted);
        Assert.False(aborted.Completed);
        Assert.False((await fake.WaitForRequestAsync(r => r.Finished, Ct)).Completed);
    }

    [Fact]
    public async Task Passthrough_AnyV1Path_EchoesPathAndRecordsAuthorization()
    {
        // Arrange
        await using var fake = await FakeUpstream.StartAsync(Ct).DefaultTimeout();
        using var http = new HttpClient { Timeout = TestTimeouts.Default };
        using var request = new HttpRequestMessage(HttpMethod.Post, fake.BaseUrl + "/v1/audio/speech") { Content = new StringContent("""{"input":"hi"}""", Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "sk-upstream");

        // Act
        using var response = await http.SendAsync(request, Ct).DefaultTimeout();
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
        using var files = await http.GetAsync(fake.BaseUrl + "/v1/files?purpose=batch", Ct).DefaultTimeout();
        using var models = await http.GetAsync(fake.BaseUrl + "/v1/models", Ct).DefaultTimeout();
        var modelList = JsonDocument.Parse(await models.Content.ReadAsStringAsync(Ct)).RootElement;

        // Assert
        Assert.Equal(("/v1/audio/speech", "POST"), (body.GetProperty("path").GetString(), body.GetProperty("method").GetString()));
        Assert.Equal(HttpStatusCode.OK, files.StatusCode);
        Assert.Equal("model", modelList.GetProperty("data")[0].GetProperty("object").GetString());
        var recorded = fake.Requests;
        Assert.Equal([FakeEndpoint.Passthrough, FakeEndpoint.Passthrough, FakeEndpoint.Models], recorded.Select(r => r.Endpoint));
        Assert.Equal("Bearer sk-upstream", recorded[0].Header("Authorization"));
        Assert.Equal("""{"input":"hi"}""", recorded[0].Body);
        Assert.Equal(("/v1/files", "?purpose=batch", "GET"), (recorded[1].Path, recorded[1].QueryString, recorded[1].Method));
    }

    [Theory]
    [InlineData("", 1)]
    [InlineData("ab", 4)]
    [InlineData("Echo: hello there world", 4)]
    [InlineData("a😀b😀c", 5)]
    public void SplitContent_AnyText_PiecesConcatenateExactly(string content, int chunks)
    {
        // Act
        var pieces = FakeUpstream.SplitContent(content, chunks);

        // Assert
        Assert.Equal(content, string.Concat(pieces));
        Assert.InRange(pieces.Count, 1, chunks);
        Assert.All(pieces, p => Assert.False(p.Length > 0 && char.IsLowSurrogate(p[0])));
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient http, string url, string json, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        foreach (var (name, value) in headers)
        {
            request.Headers.Add(name, value);
        }

        return http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct).DefaultTimeout();
    }

    private static async Task<List<(string? Event, string Data)>> ReadSseAsync(HttpResponseMessage response, List<(string? Event, string Data)>? events = null)
    {
        events ??= [];
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Ct));
        string? name = null;
        while (await reader.ReadLineAsync(Ct).AsTask().DefaultTimeout() is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                name = line["event: ".Length..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                events.Add((name, line["data: ".Length..]));
                name = null;
            }
        }

        return events;
    }
}

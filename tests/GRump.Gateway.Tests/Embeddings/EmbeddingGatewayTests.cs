using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Google.Rpc;
using Grpc.Core;
using GRump.Fakes;
using GRump.Gateway.Diagnostics;
using GRump.Gateway.Embeddings;
using GRump.Gateway.Errors;
using GRump.Gateway.Routing;
using GRump.Gateway.Tests.Infrastructure;
using GRump.Gateway.Tests.Providers;
using GRump.Gateway.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace GRump.Gateway.Tests.Embeddings;

/// <summary>Embed through the real gateway (Kestrel, gRPC, transcoding, /v1) with NIM pointed at the recording fake upstream.</summary>
public sealed class EmbeddingGatewayTests
{
    private static EmbeddingService.EmbeddingServiceClient Client(UpstreamHarness h) => new(h.App.Channel);

    private static Task<EmbedResponse> EmbedAsync(UpstreamHarness h, params string[] texts) =>
        Client(h).EmbedAsync(new EmbedRequest { Inputs = { texts } }, cancellationToken: TestContext.Current.CancellationToken).ResponseAsync;

    private static void AssertVector(string text, Embedding embedding) => Assert.Equal(FakeUpstream.VectorFor(text), embedding.Values);

    [Fact]
    public async Task Embed_ThousandConcurrentOneTextCalls_CoalescedIntoBatchesOf256_EachCallerGetsItsVector()
    {
        // Arrange: the first texts find the upstream idle and go at once (as many as arrived together); the upstream holds
        // that batch until all 1,000 texts are in the coalescer, so the rest leave by size, and the partial remainder when
        // the upstream is idle again.
        await using var h = await UpstreamHarness.StartAsync(new Dictionary<string, string?> { ["Embeddings:MaxWait"] = "00:00:05" });
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        h.Fake.Enqueue(new FakeBehavior { HoldBeforeHeaders = release.Task });
        using var handled = new MetricCollector<long>(h.App.Services.GetRequiredService<IMeterFactory>(), GatewayTelemetry.Name, GatewayTelemetry.Metrics.BatchProcessingRequests);
        var texts = Enumerable.Range(0, 1000).Select(i => $"caller {i} says hello").ToArray();

        // Act
        var calls = texts.Select(t => EmbedAsync(h, t)).ToList();
        while (handled.GetMeasurementSnapshot().Sum(m => m.Value) < texts.Length)
        {
            await handled.WaitForMeasurementsAsync(handled.GetMeasurementSnapshot().Count + 1, TestContext.Current.CancellationToken).DefaultTimeout();
        }

        release.SetResult();
        var responses = await Task.WhenAll(calls).DefaultTimeout();

        // Assert
        for (var i = 0; i < texts.Length; i++)
        {
            var embedding = Assert.Single(responses[i].Embeddings);
            Assert.Equal(0, embedding.Index);
            AssertVector(texts[i], embedding);
            Assert.Equal(ModelRegistry.NvEmbed, responses[i].Model);
            Assert.Equal("nim", responses[i].Provider);
        }
        var batches = h.Fake.Requests.Where(r => r.Endpoint == FakeEndpoint.Embeddings).ToList();
        Assert.Equal(3, batches.Count(c => c.Inputs.Count == 256));
        Assert.InRange(batches.Count, 4, 5);
        Assert.Equal(texts.Order(StringComparer.Ordinal), batches.SelectMany(c => c.Inputs).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Embed_DuplicateTextsAcrossCallers_EachDistinctTextSentOnce()
    {
        // Arrange: the upstream holds every batch until all 300 texts are in the coalescer, so duplicates can only join
        await using var h = await UpstreamHarness.StartAsync(new Dictionary<string, string?> { ["Embeddings:MaxWait"] = "00:00:00.050" });
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        h.Fake.Default = new FakeBehavior { HoldBeforeHeaders = release.Task };
        using var handled = new MetricCollector<long>(h.App.Services.GetRequiredService<IMeterFactory>(), GatewayTelemetry.Name, GatewayTelemetry.Metrics.BatchProcessingRequests);
        var texts = Enumerable.Range(0, 300).Select(i => $"popular text {i % 100}").ToArray();

        // Act
        var calls = texts.Select(t => EmbedAsync(h, t)).ToList();
        while (handled.GetMeasurementSnapshot().Sum(m => m.Value) < texts.Length)
        {
            await handled.WaitForMeasurementsAsync(handled.GetMeasurementSnapshot().Count + 1, TestContext.Current.CancellationToken).DefaultTimeout();
        }
        release.SetResult();
        var responses = await Task.WhenAll(calls).DefaultTimeout();

        // Assert
        for (var i = 0; i < texts.Length; i++)
        {
            AssertVector(texts[i], Assert.Single(responses[i].Embeddings));
        }
        var sent = h.Fake.Requests.Where(r => r.Endpoint == FakeEndpoint.Embeddings).SelectMany(r => r.Inputs).ToList();
        Assert.Equal(100, sent.Count);
        Assert.Equal(100, sent.Distinct(StringComparer.Ordinal).Count());
        var snapshot = handled.GetMeasurementSnapshot();
        Assert.Equal(200, snapshot.Where(m => Equals(m.Tags["outcome"], "deduplicated")).Sum(m => m.Value));
    }

    [Fact]
    public async Task Embed_CacheSwitch_OffGoesUpstreamAndStoresNothing_ReadOnlyNeverStores_UnsetIsOn()
    {
        // Arrange
        var ct = TestContext.Current.CancellationToken;
        await using var h = await UpstreamHarness.StartAsync();
        var client = Client(h);
        int Upstream() => h.Fake.Requests.Count(r => r.Endpoint == FakeEndpoint.Embeddings);
        Task<EmbedResponse> Embed(string text, CacheMode mode) =>
            client.EmbedAsync(new EmbedRequest { Inputs = { text }, Cache = mode }, cancellationToken: ct).ResponseAsync.DefaultTimeout();
        Task<HttpResponseMessage> OpenAi(string text, string mode) =>
            h.App.Http.PostAsJsonAsync("/v1/embeddings", new { input = text, x_grump_cache = mode }, ct).DefaultTimeout();

        // Act + Assert: OFF twice → two upstream calls, and nothing stored for a later default call.
        await Embed("switch off", CacheMode.Off);
        await Embed("switch off", CacheMode.Off);
        Assert.Equal(2, Upstream());
        await Embed("switch off", CacheMode.Unspecified);
        Assert.Equal(3, Upstream());
        var hit = await Embed("switch off", CacheMode.Unspecified);
        Assert.Equal(3, Upstream());
        AssertVector("switch off", Assert.Single(hit.Embeddings));

        // READ_ONLY reads what is there but stores nothing of its own.
        await Embed("switch off", CacheMode.ReadOnly);
        await Embed("read only", CacheMode.ReadOnly);
        await Embed("read only", CacheMode.ReadOnly);
        Assert.Equal(5, Upstream());

        // WRITE_ONLY goes upstream even when the entry exists; /v1 has the same switch, and OFF bypasses a stored entry.
        await Embed("switch off", CacheMode.WriteOnly);
        Assert.Equal(6, Upstream());
        using (var off = await OpenAi("switch off", "OFF"))
        {
            Assert.Equal(HttpStatusCode.OK, off.StatusCode);
            Assert.Equal("MISS", off.Headers.GetValues("x-grump-cache").Single());
        }
        Assert.Equal(7, Upstream());
        using (var on = await OpenAi("switch off", "ON"))
        {
            Assert.NotEqual("MISS", on.Headers.GetValues("x-grump-cache").Single());
        }
        Assert.Equal(7, Upstream());

        // Unknown values name their field.
        using var bad = await OpenAi("x", "SOMETIMES");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("x_grump_cache", await bad.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        var unknown = await Assert.ThrowsAsync<RpcException>(() => Embed("x", (CacheMode)42));
        Assert.Equal(StatusCode.InvalidArgument, unknown.StatusCode);
        Assert.Contains("cache", unknown.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(7, Upstream());
    }

    [Fact]
    public async Task Embed_UpstreamFailsABatch_AllItsCallersFailUnavailable_LaterBatchesSucceed()
    {
        // Arrange
        await using var h = await UpstreamHarness.StartAsync(new Dictionary<string, string?>
        {
            ["Providers:Nim:MaxRetries"] = "0",
            ["Embeddings:MaxWait"] = "00:00:00.200",
        });
        var healthy = h.Fake.Default;
        h.Fake.Default = new FakeBehavior { StatusCode = 500 };
        var failing = Enumerable.Range(0, 20).Select(i => $"unlucky {i}").ToArray();

        // Act: whatever batches the 20 texts form, the upstream fails them; then it recovers and a fresh call succeeds
        var errors = await Task.WhenAll(failing.Select(t => Assert.ThrowsAsync<RpcException>(() => EmbedAsync(h, t)))).DefaultTimeout();
        h.Fake.Default = healthy;
        var later = await EmbedAsync(h, "lucky").DefaultTimeout();

        // Assert
        Assert.All(errors, e => Assert.Equal(StatusCode.Unavailable, e.StatusCode));
        AssertVector("lucky", Assert.Single(later.Embeddings));
        var calls = h.Fake.Requests.Where(r => r.Endpoint == FakeEndpoint.Embeddings).ToList();
        Assert.Equal(500, calls[0].StatusCode);
        Assert.Equal(200, calls[^1].StatusCode);
        Assert.Equal(failing.Length, calls.Where(c => c.StatusCode == 500).Sum(c => c.Inputs.Count));
    }

    [Fact]
    public async Task Embed_ManyTextsInOneCall_VectorsInInputOrder_UsageAndCost()
    {
        // Arrange
        await using var h = await UpstreamHarness.StartAsync();
        string[] texts = ["one", "two words", "one", "three little words"];

        // Act
        var response = await EmbedAsync(h, texts).DefaultTimeout();

        // Assert
        Assert.Equal(texts.Length, response.Embeddings.Count);
        for (var i = 0; i < texts.Length; i++)
        {
            Assert.Equal(i, response.Embeddings[i].Index);
            Assert.Equal(CacheTier.Miss, response.Embeddings[i].Cache);
            AssertVector(texts[i], response.Embeddings[i]);
        }
        var call = Assert.Single(h.Fake.Requests, r => r.Endpoint == FakeEndpoint.Embeddings);
        Assert.Equal(texts.Distinct(), call.Inputs);
        Assert.Equal(call.ReportedPromptTokens + 1, response.Usage.PromptTokens); // "one" (1 token) is used twice, billed once upstream
        Assert.Equal(response.Usage.PromptTokens * 0.02 / 1_000_000, response.CostUsd, 12);
    }

    [Fact]
    public async Task Metrics_AfterEmbed_PrometheusHasBatchMetrics()
    {
        // Arrange: an own gateway, so no other test's scrape is cached
        await using var h = await UpstreamHarness.StartAsync();
        await EmbedAsync(h, "metered", "twice", "twice").DefaultTimeout();

        // Act
        var text = await h.App.Http.GetStringAsync("/metrics", TestContext.Current.CancellationToken).DefaultTimeout();

        // Assert
        Assert.Contains("# TYPE batch_size histogram", text, StringComparison.Ordinal);
        Assert.Contains("batch_size_bucket{", text, StringComparison.Ordinal);
        Assert.Contains("batch_processing_requests_total{", text, StringComparison.Ordinal);
        Assert.Contains("outcome=\"deduplicated\"", text, StringComparison.Ordinal);
        Assert.Contains("embedding_batch_wait_seconds_bucket{", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RestEmbeddings_InputsJson_ReturnsEmbeddings()
    {
        // Arrange
        await using var h = await UpstreamHarness.StartAsync();

        // Act
        using var response = await h.App.Http.PostAsJsonAsync("/api/embeddings", new { inputs = new List<string> { "hello rest" } }, TestContext.Current.CancellationToken);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

        // Assert
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var root = json.RootElement;
        Assert.Equal(ModelRegistry.NvEmbed, root.GetProperty("model").GetString());
        Assert.Equal("nim", root.GetProperty("provider").GetString());
        var values = root.GetProperty("embeddings")[0].GetProperty("values").EnumerateArray().Select(v => v.GetSingle());
        Assert.Equal(FakeUpstream.VectorFor("hello rest"), values);
    }

    [Fact]
    public async Task RestEmbeddings_EmptyInputs_400()
    {
        // Arrange
        await using var h = await UpstreamHarness.StartAsync();

        // Act
        using var response = await h.App.Http.PostAsJsonAsync("/api/embeddings", new { inputs = Array.Empty<string>() }, TestContext.Current.CancellationToken);

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("inputs", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenAiEmbeddings_GoThroughTheCoalescer_WithHeaders_AndInputFieldNaming()
    {
        // Arrange
        await using var h = await UpstreamHarness.StartAsync();
        var ct = TestContext.Current.CancellationToken;

        // Act
        var calls = Enumerable.Range(0, 8).Select(i => h.App.Http.PostAsJsonAsync("/v1/embeddings", new { model = ModelRegistry.NvEmbed, input = $"openai {i}" }, ct)).ToList();
        var responses = await Task.WhenAll(calls).DefaultTimeout();
        using var empty = await h.App.Http.PostAsJsonAsync("/v1/embeddings", new { input = Array.Empty<string>() }, ct);
        using var error = JsonDocument.Parse(await empty.Content.ReadAsStringAsync(ct));

        // Assert
        for (var i = 0; i < responses.Length; i++)
        {
            using var response = responses[i];
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("nim", response.Headers.GetValues("x-grump-provider").Single());
            Assert.Equal("MISS", response.Headers.GetValues("x-grump-cache").Single());
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
            var values = json.RootElement.GetProperty("data")[0].GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle());
            Assert.Equal(FakeUpstream.VectorFor($"openai {i}"), values);
        }
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        Assert.Equal("input", error.RootElement.GetProperty("error").GetProperty("param").GetString());
    }

    [Fact]
    public async Task OpenAiEmbeddings_4096Dimensions_SameVectorAndTheRuntimesNumberText()
    {
        // Arrange: a real model's size; the gateway reads the upstream's numbers and writes its own (FloatText)
        await using var h = await UpstreamHarness.StartAsync();
        h.Fake.Default = new FakeBehavior { EmbeddingDimensions = 4096 };
        var ct = TestContext.Current.CancellationToken;

        // Act
        using var response = await h.App.Http.PostAsJsonAsync("/v1/embeddings", new { model = ModelRegistry.NvEmbed, input = "four thousand" }, ct);
        var body = await response.Content.ReadAsStringAsync(ct);

        // Assert
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var expected = FakeUpstream.VectorFor("four thousand", 4096);
        using var json = JsonDocument.Parse(body);
        var embedding = json.RootElement.GetProperty("data")[0].GetProperty("embedding");
        Assert.Equal(expected, embedding.EnumerateArray().Select(v => v.GetSingle()));
        Assert.Equal(JsonSerializer.Serialize(expected), embedding.GetRawText());
    }

    [Theory]
    [InlineData("float")]
    [InlineData("base64")]
    public async Task OpenAiEmbeddings_UpstreamAskedInTheConfiguredEncoding_SameVector(string encoding)
    {
        // Arrange
        await using var h = await UpstreamHarness.StartAsync(new Dictionary<string, string?> { ["Providers:Nim:EmbeddingEncoding"] = encoding });
        h.Fake.Default = new FakeBehavior { EmbeddingDimensions = 4096 };
        var ct = TestContext.Current.CancellationToken;

        // Act
        using var response = await h.App.Http.PostAsJsonAsync("/v1/embeddings", new { model = ModelRegistry.NvEmbed, input = "encoded " + encoding }, ct);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));

        // Assert
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var values = json.RootElement.GetProperty("data")[0].GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle());
        Assert.Equal(FakeUpstream.VectorFor("encoded " + encoding, 4096), values);
        var upstream = Assert.Single(h.Fake.Requests, r => r.Endpoint == FakeEndpoint.Embeddings);
        Assert.Equal(encoding, JsonDocument.Parse(upstream.Body).RootElement.GetProperty("encoding_format").GetString());
    }

    [Theory]
    [InlineData("""{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.5,1e39]}]}""")]
    [InlineData("""{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.5,"x"]}]}""")]
    [InlineData("""{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.5""")]
    public async Task OpenAiEmbeddings_UpstreamAnswerNotAVector_503NamingTheUpstream(string answer)
    {
        // Arrange
        await using var h = await UpstreamHarness.StartAsync(new Dictionary<string, string?> { ["Providers:Nim:MaxRetries"] = "0" });
        h.Fake.Default = new FakeBehavior { RawBody = answer };
        var ct = TestContext.Current.CancellationToken;

        // Act
        using var response = await h.App.Http.PostAsJsonAsync("/v1/embeddings", new { model = ModelRegistry.NvEmbed, input = "broken" }, ct);
        var body = await response.Content.ReadAsStringAsync(ct);

        // Assert: the upstream's fault, said as such; never a 500
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("The upstream sent", body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", 0, "inputs")]
    [InlineData("", 2049, "inputs")]
    [InlineData("no-such-model", 1, "model")]
    [InlineData(ModelRegistry.KimiK25, 1, "model")]
    public async Task Embed_InvalidRequest_InvalidArgumentNamingTheField(string model, int count, string field)
    {
        // Arrange
        await using var h = await UpstreamHarness.StartAsync();
        var request = new EmbedRequest { Model = model, Inputs = { Enumerable.Range(0, count).Select(i => $"text {i}") } };

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() => Client(h).EmbedAsync(request, cancellationToken: TestContext.Current.CancellationToken).ResponseAsync).DefaultTimeout();

        // Assert
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        var badRequest = error.GetRpcStatus()!.GetDetail<BadRequest>();
        Assert.Equal(field, Assert.Single(badRequest.FieldViolations).Field);
        Assert.DoesNotContain(h.Fake.Requests, r => r.Endpoint == FakeEndpoint.Embeddings);
    }

    [Fact]
    public void Limits_TooManyCharactersOrAnEmptyText_InvalidArgument()
    {
        // Arrange
        var huge = new string('x', EmbeddingLimits.MaxTotalChars / 2 + 1);

        // Act
        var tooLong = Assert.Throws<GatewayException>(() => EmbeddingLimits.Validate([huge, huge], "inputs"));
        var emptyText = Assert.Throws<GatewayException>(() => EmbeddingLimits.Validate(["fine", ""], "input"));

        // Assert
        Assert.Equal("inputs", Assert.Single(tooLong.FieldViolations).Field);
        Assert.Equal("input[1]", Assert.Single(emptyText.FieldViolations).Field);
        EmbeddingLimits.Validate([new string('x', EmbeddingLimits.MaxTotalChars)], "inputs");
    }
}

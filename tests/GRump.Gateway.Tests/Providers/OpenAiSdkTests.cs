using System.ClientModel;
using System.Text;
using GRump.Fakes;
using GRump.Gateway.Routing;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Embeddings;

namespace GRump.Gateway.Tests.Providers;

/// <summary>The official OpenAI .NET SDK, pointed at the gateway's /v1, streams chat and gets embeddings.</summary>
public sealed class OpenAiSdkTests
{
    [Fact]
    public async Task OpenAiSdk_StreamsAChatCompletion_ThroughTheGateway()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var h = await UpstreamHarness.StartAsync();
        h.Fake.Default = new FakeBehavior { Content = "Streaming through GRump works.", Chunks = 5 };
        var client = new ChatClient(ModelRegistry.KimiK25, new ApiKeyCredential("callers-key"), Options(h));

        var text = new StringBuilder();
        ChatTokenUsage? usage = null;
        ChatFinishReason? finish = null;
        await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage("Say something")], new ChatCompletionOptions(), ct))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }
            usage ??= update.Usage;
            finish ??= update.FinishReason;
        }

        var sent = Assert.Single(h.Fake.Requests);
        Assert.Equal("Streaming through GRump works.", text.ToString());
        Assert.Equal(ChatFinishReason.Stop, finish);
        Assert.NotNull(usage);
        Assert.Equal(sent.ReportedPromptTokens, usage.InputTokenCount);
        Assert.Equal(sent.ReportedCompletionTokens, usage.OutputTokenCount);
        Assert.Equal("Bearer " + UpstreamHarness.NimKey, sent.Header("Authorization"));
    }

    [Fact]
    public async Task OpenAiSdk_CompletesAChat_AndGetsEmbeddings_ThroughTheGateway()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var h = await UpstreamHarness.StartAsync();
        var chat = new ChatClient(ModelRegistry.KimiK25, new ApiKeyCredential("callers-key"), Options(h));
        var embeddings = new EmbeddingClient(ModelRegistry.NvEmbed, new ApiKeyCredential("callers-key"), Options(h));

        ChatCompletion completion = await chat.CompleteChatAsync([new UserChatMessage("hello")], new ChatCompletionOptions(), ct);
        OpenAIEmbeddingCollection vectors = await embeddings.GenerateEmbeddingsAsync(["alpha", "beta gamma"], new EmbeddingGenerationOptions(), ct);

        Assert.Equal(FakeUpstream.DefaultContentFor("hello"), completion.Content[0].Text);
        Assert.Equal(2, vectors.Count);
        Assert.Equal(FakeUpstream.VectorFor("alpha"), vectors[0].ToFloats().ToArray());
        Assert.Equal(FakeUpstream.VectorFor("beta gamma"), vectors[1].ToFloats().ToArray());
        var embedCall = Assert.Single(h.Fake.Requests, r => r.Path == "/v1/embeddings");
        Assert.Equal(["alpha", "beta gamma"], embedCall.Inputs);
        Assert.Equal(ModelRegistry.NvEmbed, embedCall.Model);
    }

    private static OpenAIClientOptions Options(UpstreamHarness h) => new() { Endpoint = new Uri(h.App.HttpUrl, "/v1") };
}

using System.Text;
using GRump.Gateway.Passthrough.Internal;

namespace GRump.Gateway.Tests.Passthrough;

/// <summary>Reading usage out of the bytes a passthrough answer is made of, however they are split.</summary>
public sealed class UsageObserverTests
{
    private const string ChatStream =
        "data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}],\"usage\":null}\r\n\r\n" +
        ": keep-alive\n\n" +
        "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":34,\"total_tokens\":46}}\n\n" +
        "data: [DONE]\n\n";

    private const string ResponsesStream =
        "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\"Hi\"}\n\n" +
        "event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"id\":\"r\",\"usage\":{\"input_tokens\":5,\"output_tokens\":7,\"total_tokens\":12}}}\n\n";

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(64)]
    [InlineData(100_000)]
    public async Task Sse_ChatCompletions_LastUsageWins_WhateverTheWriteSizes(int writeSize)
    {
        var (usage, relayed) = await ObserveAsync(ChatStream, eventStream: true, writeSize);

        Assert.Equal((12L, 34L), usage);
        Assert.Equal(ChatStream, relayed);
    }

    [Fact]
    public async Task Sse_ResponsesApi_ReadsTheCompletedResponsesUsage()
    {
        var (usage, _) = await ObserveAsync(ResponsesStream, eventStream: true, 13);

        Assert.Equal((5L, 7L), usage);
    }

    [Theory]
    [InlineData("""{"object":"chat.completion","usage":{"prompt_tokens":3,"completion_tokens":4}}""", 3L, 4L)]
    [InlineData("""{"object":"list","data":[],"usage":{"prompt_tokens":9,"total_tokens":9}}""", 9L, 0L)]
    [InlineData("""{"object":"response","usage":{"input_tokens":2,"output_tokens":8}}""", 2L, 8L)]
    public async Task Json_KnownShapes(string body, long input, long output)
    {
        var (usage, relayed) = await ObserveAsync(body, eventStream: false, 5);

        Assert.Equal((input, output), usage);
        Assert.Equal(body, relayed);
    }

    [Theory]
    [InlineData("""{"choices":[]}""")]
    [InlineData("""{"usage":{"prompt_tokens":-1,"completion_tokens":2}}""")]
    [InlineData("""{"usage":"lots"}""")]
    [InlineData("""not json""")]
    public async Task Json_WithoutReadableUsage_IsNull(string body)
    {
        var (usage, _) = await ObserveAsync(body, eventStream: false, 3);

        Assert.Null(usage);
    }

    [Fact]
    public async Task Json_LargerThanTheBound_IsRelayedButNotRead()
    {
        var body = """{"usage":{"prompt_tokens":1,"completion_tokens":1},"pad":""" + "\"" + new string('x', 5000) + "\"}";

        var (usage, relayed) = await ObserveAsync(body, eventStream: false, 1000, maxJsonBytes: 1024);

        Assert.Null(usage);
        Assert.Equal(body, relayed);
    }

    private static async Task<((long, long)? Usage, string Relayed)> ObserveAsync(string text, bool eventStream, int writeSize, int maxJsonBytes = 1 << 20)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        using var sink = new MemoryStream();
        await using var observer = new UsageObserver(sink, eventStream, maxJsonBytes);
        for (var i = 0; i < bytes.Length; i += writeSize)
        {
            await observer.WriteAsync(bytes.AsMemory(i, Math.Min(writeSize, bytes.Length - i)), TestContext.Current.CancellationToken);
        }

        observer.Complete();
        return (observer.Usage, Encoding.UTF8.GetString(sink.ToArray()));
    }
}

using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using GRump.Gateway.V1;
using GRump.LoadTests.Load;

namespace GRump.LoadTests.Scenarios;

/// <summary>Base for stateless steps: one instance serves every user.</summary>
internal abstract class SharedStep : IScenarioStep
{
    public abstract ValueTask<StepResult> InvokeAsync(CancellationToken cancellationToken);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>
/// <c>grpc.bench.v1.BenchService/Noop</c> of GRump.Benchmarks' bench server (a bare Kestrel gRPC server, no gateway
/// pipeline): it echoes the request's <c>raw</c> field. Called with raw bytes (no generated client needed); the request
/// is ParseIntentRequest's wire form (NoopRequest has the same layout), so both carry the same bytes.
/// </summary>
internal sealed class NoopStep(GrpcChannel channel, string prompt) : SharedStep
{
    private static readonly Marshaller<byte[]> Raw = Marshallers.Create(static b => b, static b => b);
    private static readonly Method<byte[], byte[]> Noop = new(MethodType.Unary, "grump.bench.v1.BenchService", "Noop", Raw, Raw);
    private readonly CallInvoker _invoker = channel.CreateCallInvoker();
    private readonly byte[] _request = new ParseIntentRequest { Raw = prompt }.ToByteArray();

    public override async ValueTask<StepResult> InvokeAsync(CancellationToken cancellationToken)
    {
        var response = await _invoker.AsyncUnaryCall(Noop, null, new CallOptions(cancellationToken: cancellationToken), _request).ConfigureAwait(false);
        return response.Length == _request.Length ? StepResult.Ok(10 + _request.Length + response.Length) : StepResult.Failed("wrong echo", response.Length);
    }
}

internal sealed class ParseIntentStep(GrpcChannel channel, string prompt) : SharedStep
{
    private readonly IntentService.IntentServiceClient _client = new(channel);
    private readonly ParseIntentRequest _request = new() { Raw = prompt };

    public override async ValueTask<StepResult> InvokeAsync(CancellationToken cancellationToken)
    {
        var response = await _client.ParseIntentAsync(_request, cancellationToken: cancellationToken).ConfigureAwait(false);
        return StepResult.Ok(10 + _request.CalculateSize() + response.CalculateSize());
    }
}

/// <summary>One ParseIntents bidi stream per user; a call is one request written and its response read.</summary>
internal sealed class ParseIntentsStep(GrpcChannel channel, string prompt) : IScenarioStep
{
    private readonly IntentService.IntentServiceClient _client = new(channel);
    private readonly ParseIntentsRequest _request = new() { Raw = prompt };
    private AsyncDuplexStreamingCall<ParseIntentsRequest, ParseIntentsResponse>? _call;

    public async ValueTask<StepResult> InvokeAsync(CancellationToken cancellationToken)
    {
        _call ??= _client.ParseIntents(cancellationToken: CancellationToken.None);
        try
        {
            await _call.RequestStream.WriteAsync(_request, cancellationToken).ConfigureAwait(false);
            if (!await _call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
            {
                throw new RpcException(_call.GetStatus());
            }

            return StepResult.Ok(10 + _request.CalculateSize() + _call.ResponseStream.Current.CalculateSize());
        }
        catch
        {
            // A broken stream is not reused: the next call opens a new one.
            _call.Dispose();
            _call = null;
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_call is { } call)
        {
            _call = null;
            try
            {
                await call.RequestStream.CompleteAsync().ConfigureAwait(false);
                while (await call.ResponseStream.MoveNext(CancellationToken.None).ConfigureAwait(false))
                {
                }
            }
            catch (RpcException)
            {
                // Closing a stream the server already ended: nothing to report.
            }
            finally
            {
                call.Dispose();
            }
        }
    }
}

internal sealed class ChatCompleteStep(GrpcChannel channel, ChatRequest chat, CacheTier? expectedTier) : SharedStep
{
    private readonly ChatService.ChatServiceClient _client = new(channel);
    private readonly CompleteRequest _request = new() { Chat = chat };

    public override async ValueTask<StepResult> InvokeAsync(CancellationToken cancellationToken)
    {
        var response = await _client.CompleteAsync(_request, cancellationToken: cancellationToken).ConfigureAwait(false);
        var bytes = 10 + _request.CalculateSize() + response.CalculateSize();
        if (expectedTier is { } tier && response.Outcome?.Cache != tier)
        {
            return StepResult.Failed($"cache {response.Outcome?.Cache.ToString() ?? "none"}", bytes);
        }

        return StepResult.Ok(bytes);
    }
}

internal sealed class ChatStreamStep(GrpcChannel channel, ChatRequest chat) : SharedStep
{
    private readonly ChatService.ChatServiceClient _client = new(channel);
    private readonly StreamCompleteRequest _request = new() { Chat = chat };

    public override async ValueTask<StepResult> InvokeAsync(CancellationToken cancellationToken)
    {
        using var call = _client.StreamComplete(_request, cancellationToken: cancellationToken);
        long bytes = 5 + _request.CalculateSize();
        var ended = false;
        while (await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            var message = call.ResponseStream.Current;
            bytes += 5 + message.CalculateSize();
            ended |= message.EventCase == StreamCompleteResponse.EventOneofCase.End;
        }

        return ended ? StepResult.Ok(bytes) : StepResult.Failed("no end event", bytes);
    }
}

/// <summary>Embed with one text, distinct per call (identical texts in flight would be deduplicated by the coalescer).</summary>
internal sealed class EmbedStep(GrpcChannel channel) : SharedStep
{
    private static long s_counter;
    private readonly EmbeddingService.EmbeddingServiceClient _client = new(channel);

    public override async ValueTask<StepResult> InvokeAsync(CancellationToken cancellationToken)
    {
        var request = new EmbedRequest { Inputs = { ScenarioTexts.Embedding(Interlocked.Increment(ref s_counter)) } };
        var response = await _client.EmbedAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.Embeddings.Count == 1
            ? StepResult.Ok(10 + request.CalculateSize() + response.CalculateSize())
            : StepResult.Failed("wrong embedding count");
    }
}

internal static class ScenarioTexts
{
    /// <summary>A simple prompt: the router sends it to the cheap model (NIM, i.e. the fake upstream).</summary>
    public const string ChatPrompt = "What is the capital of France? Answer in one word.";

    /// <summary>The prompt grpc-ratio.sh and the intent benchmarks use.</summary>
    public const string IntentPrompt = "Build a todo app with authentication and a dashboard using React, Node and PostgreSQL.";

    /// <summary>The model the OpenAI-format requests name (the default for simple prompts).</summary>
    public const string ChatModel = "moonshotai/kimi-k2.5";

    public static string Embedding(long n) =>
        $"Caller asks question number {n}: how do I configure the gateway to batch embedding requests efficiently?";

    public static ChatRequest Chat(CacheMode cache, float? temperature, string model = "")
    {
        var chat = new ChatRequest { Cache = cache, Model = model, Messages = { new ChatMessage { Role = "user", Content = ChatPrompt } } };
        if (temperature is { } t)
        {
            chat.Temperature = t;
        }

        return chat;
    }
}

using System.Diagnostics;
using System.Threading.Channels;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using GRump.Gateway.Diagnostics;
using GRump.Gateway.Errors;
using GRump.Gateway.Intent;
using GRump.Gateway.V1;
using GRump.Gateway.Workers;
using Microsoft.Extensions.Options;

namespace GRump.Gateway.Services;

/// <summary>
/// IntentService. Long texts and batches parse on the worker pool, so a burst of heavy parses queues (and is turned
/// away with RESOURCE_EXHAUSTED when the queue is full) instead of piling onto request threads; short texts parse
/// inline, where the parse costs less than the hand-off (<see cref="IntentOptions.InlineMaxChars"/>).
/// </summary>
internal sealed class IntentGrpcService(IIntentCompiler compiler, WorkerPool pool, IntentMetrics metrics, IOptions<IntentOptions> options) : IntentService.IntentServiceBase
{
    private readonly int _inlineMaxChars = options.Value.InlineMaxChars;

    /// <summary>How many parses of one bidi stream may be in flight; results still leave in request order.</summary>
    private const int StreamWindow = 32;

    public override async Task<ParseIntentResponse> ParseIntent(ParseIntentRequest request, ServerCallContext context)
    {
        IntentLimits.Validate(string.Empty, request.Raw, request.Constraints);
        var intent = request.Raw.Length <= _inlineMaxChars
            ? CompileTimed(request.Raw, request.Constraints)
            : await CompileOnPoolAsync(request.Raw, request.Constraints, context.CancellationToken).ConfigureAwait(false);
        return new ParseIntentResponse { Intent = intent };
    }

    public override async Task<ParseIntentBatchResponse> ParseIntentBatch(ParseIntentBatchRequest request, ServerCallContext context)
    {
        var inputs = request.Inputs;
        if (inputs.Count > IntentLimits.MaxBatchInputs)
        {
            GatewayErrors.ThrowInvalidArgument("inputs", $"{inputs.Count} inputs; the limit is {IntentLimits.MaxBatchInputs} per call.");
        }

        for (var i = 0; i < inputs.Count; i++)
        {
            IntentLimits.Validate($"inputs[{i}].", inputs[i].Raw, inputs[i].Constraints);
        }

        // One pool task per chunk: the batch spreads over every worker without taking a queue slot per text.
        var results = new V1.Intent[inputs.Count];
        var workers = pool.GetStats().Workers;
        var chunkSize = Math.Max(1, (inputs.Count + workers - 1) / workers);
        var chunks = new List<Task>();
        for (var start = 0; start < inputs.Count; start += chunkSize)
        {
            var chunk = new BatchChunk(this, inputs, results, start, Math.Min(start + chunkSize, inputs.Count));
            chunks.Add(pool.RunAsync(WorkKind.ParseIntent, chunk, static c => c.Run(), context.CancellationToken));
        }

        await Task.WhenAll(chunks).ConfigureAwait(false);
        var response = new ParseIntentBatchResponse();
        response.Intents.AddRange(results);
        return response;
    }

    public override async Task ParseIntents(IAsyncStreamReader<ParseIntentsRequest> requestStream, IServerStreamWriter<ParseIntentsResponse> responseStream, ServerCallContext context)
    {
        // Reading and writing run side by side: up to StreamWindow parses are in flight, and each result is written
        // as soon as it and every result before it are done, so order holds without waiting for the next request.
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        var inFlight = Channel.CreateBounded<PendingParse>(new BoundedChannelOptions(StreamWindow)
        {
            SingleReader = true,
            SingleWriter = true,
            AllowSynchronousContinuations = false,
            FullMode = BoundedChannelFullMode.Wait,
        });
        var writing = WriteInOrderAsync(inFlight.Reader, responseStream, cancellation);
        try
        {
            long sequence = 0;
            await foreach (var request in requestStream.ReadAllAsync(cancellation.Token).ConfigureAwait(false))
            {
                // Bad input ends the stream with its status, but what was accepted before it is still answered.
                IntentLimits.Validate($"messages[{sequence}].", request.Raw, request.Constraints);
                var parse = CompileAsync(request.Raw, request.Constraints, cancellation.Token);
                await inFlight.Writer.WriteAsync(new PendingParse(parse, request.CorrelationId, sequence++), cancellation.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is GatewayException || (ex is RpcException && !context.CancellationToken.IsCancellationRequested))
        {
            // Bad input — a field over its limit, or a message that does not deserialize (RpcException INTERNAL from the
            // reader) — ends the stream with its status after the results already accepted. Cancelling the writer
            // instead would abort a response write mid-way, and the client would see a reset stream, not a status.
            inFlight.Writer.TryComplete();
            await writing.ConfigureAwait(false);
            throw;
        }
        catch (OperationCanceledException) when (!context.CancellationToken.IsCancellationRequested)
        {
            // Only the writer cancels on its own: a parse failed, and its error is the one to report (awaited below).
        }
        catch
        {
            // The client went away or sent something unreadable: stop the writer and its parses before leaving.
            await cancellation.CancelAsync().ConfigureAwait(false);
            inFlight.Writer.TryComplete();
            await writing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            throw;
        }
        finally
        {
            inFlight.Writer.TryComplete();
        }

        await writing.ConfigureAwait(false);
    }

    private static async Task WriteInOrderAsync(ChannelReader<PendingParse> inFlight, IServerStreamWriter<ParseIntentsResponse> responseStream, CancellationTokenSource cancellation)
    {
        try
        {
            await foreach (var (parse, correlationId, sequence) in inFlight.ReadAllAsync(cancellation.Token).ConfigureAwait(false))
            {
                var intent = await parse.ConfigureAwait(false);
                await responseStream.WriteAsync(new ParseIntentsResponse { Intent = intent, CorrelationId = correlationId, Sequence = sequence }, cancellation.Token).ConfigureAwait(false);
            }
        }
        catch
        {
            await cancellation.CancelAsync().ConfigureAwait(false);
            throw;
        }
    }

    private Task<V1.Intent> CompileAsync(string raw, Struct? constraints, CancellationToken cancellationToken) =>
        raw.Length <= _inlineMaxChars ? Task.FromResult(CompileTimed(raw, constraints)) : CompileOnPoolAsync(raw, constraints, cancellationToken);

    private Task<V1.Intent> CompileOnPoolAsync(string raw, Struct? constraints, CancellationToken cancellationToken) =>
        pool.RunAsync(WorkKind.ParseIntent, (Service: this, Raw: raw, Constraints: constraints), static s => s.Service.CompileTimed(s.Raw, s.Constraints), cancellationToken);

    private V1.Intent CompileTimed(string raw, Struct? constraints)
    {
        var started = Stopwatch.GetTimestamp();
        var intent = compiler.Compile(raw);
        metrics.RecordCompilation(Stopwatch.GetElapsedTime(started));
        return IntentMapper.ToProto(intent, constraints);
    }

    private readonly record struct PendingParse(Task<V1.Intent> Parse, string CorrelationId, long Sequence);

    private sealed class BatchChunk(IntentGrpcService service, IList<IntentInput> inputs, V1.Intent[] results, int start, int end)
    {
        public bool Run()
        {
            for (var i = start; i < end; i++)
            {
                results[i] = service.CompileTimed(inputs[i].Raw, inputs[i].Constraints);
            }

            return true;
        }
    }
}

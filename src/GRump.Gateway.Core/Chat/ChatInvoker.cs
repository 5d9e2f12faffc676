using System.Diagnostics;
using GRump.Gateway.Diagnostics;
using GRump.Gateway.Errors;
using GRump.Gateway.Providers;
using GRump.Gateway.Routing;
using Microsoft.Extensions.Logging;

namespace GRump.Gateway.Chat;

/// <summary>
/// Calls the upstream for a plan, with the one fallback loop of the chat path: each candidate model in turn until one
/// sends its first event. Only until then may another model answer — after the first byte a failure is the call's
/// (the client may already hold part of the answer). Retries, destinations and circuit breakers of one provider are
/// below, in its adapter's resilient HttpClient.
/// </summary>
public sealed partial class ChatInvoker(IProviderDirectory providers, ProviderMetrics providerMetrics, ILogger<ChatInvoker> logger)
{
    /// <summary>Opens the answer of the first candidate that answers; the result is positioned on its first event.</summary>
    public async Task<UpstreamAnswer> OpenAsync(ChatPlan plan, bool stream, CallClock clock, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(clock);
        for (var i = 0; ; i++)
        {
            var model = plan.Candidates[i];
            var request = plan.RequestFor(model, stream);
            clock.UpstreamStarted();
            var span = StartSpan(request, model);
            var inFlight = providerMetrics.Begin(model.Provider);
            var events = providers.GetChat(model.Provider).ChatAsync(request, cancellationToken).GetAsyncEnumerator(cancellationToken);
            try
            {
                if (!await events.MoveNextAsync().ConfigureAwait(false))
                {
                    throw new GatewayException(GatewayErrorKind.Unavailable, $"The upstream '{model.Provider}' sent an empty answer.") { Reason = "UPSTREAM_STREAM_CUT" };
                }

                return new UpstreamAnswer(model, events, span, inFlight);
            }
            catch (Exception ex)
            {
                span?.SetStatus(ActivityStatusCode.Error, ex.Message);
                span?.Dispose();
                inFlight.Dispose();
                await events.DisposeAsync().ConfigureAwait(false);
                if (ex is GatewayException failure && i + 1 < plan.Candidates.Count && CanFallBack(failure))
                {
                    Log.FallingBack(logger, model.Id, plan.Candidates[i + 1].Id, failure.Message);
                    continue;
                }

                throw;
            }
        }
    }

    private static bool CanFallBack(GatewayException error) =>
        error.Kind is GatewayErrorKind.Unavailable or GatewayErrorKind.DeadlineExceeded or GatewayErrorKind.ResourceExhausted;

    /// <summary>The upstream call's span, per the GenAI semantic conventions (its HTTP request becomes a child).</summary>
    private static Activity? StartSpan(ProviderChatRequest request, ModelDefinition model)
    {
        var span = GatewayTelemetry.ActivitySource.StartActivity($"chat {model.Id}", ActivityKind.Client);
        if (span is not null)
        {
            span.SetTag("gen_ai.operation.name", "chat");
            span.SetTag("gen_ai.provider.name", model.Provider);
            span.SetTag("gen_ai.request.model", model.Id);
            span.SetTag("gen_ai.request.max_tokens", request.MaxOutputTokens);
            if (request.Chat.Temperature is { } temperature)
            {
                span.SetTag("gen_ai.request.temperature", temperature);
            }
        }

        return span;
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Model {Model} failed before the first byte; falling back to {Fallback}: {Error}")]
        public static partial void FallingBack(ILogger logger, string model, string fallback, string error);
    }
}

/// <summary>An upstream answer being read: the model answering, its events (positioned on the first), its span.</summary>
public sealed class UpstreamAnswer(ModelDefinition model, IAsyncEnumerator<ChatEvent> events, Activity? span, ProviderMetrics.InFlightScope inFlight) : IAsyncDisposable
{
    public ModelDefinition Model => model;

    public ChatEvent Current => events.Current;

    public ValueTask<bool> MoveNextAsync() => events.MoveNextAsync();

    /// <summary>Marks the span as ended early (cut, failed or cancelled after the first event).</summary>
    public void Failed(string why) => span?.SetStatus(ActivityStatusCode.Error, why);

    /// <summary>Records the finish reason and usage on the span.</summary>
    public void Finished(ChatEnded end)
    {
        ArgumentNullException.ThrowIfNull(end);
        if (span is not null)
        {
            span.SetTag("gen_ai.response.finish_reasons", new[] { end.FinishReason });
            span.SetTag("gen_ai.usage.input_tokens", end.Usage.InputTokens);
            span.SetTag("gen_ai.usage.output_tokens", end.Usage.OutputTokens);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await events.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            inFlight.Dispose();
            span?.Dispose();
        }
    }
}

/// <summary>A call's clock: the whole call and the time spent waiting on the upstream, so overhead is one subtraction.</summary>
public sealed class CallClock(TimeProvider time)
{
    private readonly long _started = time.GetTimestamp();
    private long _upstreamStarted;
    private TimeSpan _upstream;

    public TimeSpan Elapsed => time.GetElapsedTime(_started);

    public void UpstreamStarted() => _upstreamStarted = time.GetTimestamp();

    /// <summary>Time since the current upstream call began (zero when none is running).</summary>
    public TimeSpan SinceUpstreamStarted => _upstreamStarted == 0 ? TimeSpan.Zero : time.GetElapsedTime(_upstreamStarted);

    public void UpstreamEnded()
    {
        if (_upstreamStarted != 0)
        {
            _upstream += time.GetElapsedTime(_upstreamStarted);
            _upstreamStarted = 0;
        }
    }

    /// <summary>Time spent in the gateway: the whole call minus the time waiting for the upstream.</summary>
    public TimeSpan Overhead => Elapsed - _upstream;
}

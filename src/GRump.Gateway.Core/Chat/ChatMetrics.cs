using System.Diagnostics.Metrics;
using GRump.Gateway.Diagnostics;


namespace GRump.Gateway.Chat;

/// <summary>
/// Latency and token instruments of the chat path: the seed's names (<c>llm_time_to_first_token_seconds</c>,
/// <c>llm_stream_duration_seconds</c>, <c>gateway_overhead_seconds</c>) and the OpenTelemetry GenAI semantic-convention
/// ones. Labels are bounded: model, provider, operation, token type — never tenants or prompts.
/// </summary>
public sealed class ChatMetrics
{
    private static readonly double[] SecondsBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
    private static readonly long[] TokenBuckets = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576];

    private readonly Histogram<double> _timeToFirstToken;
    private readonly Histogram<double> _streamDuration;
    private readonly Histogram<double> _overhead;
    private readonly Histogram<long> _genAiTokens;
    private readonly Histogram<double> _genAiDuration;
    private readonly Histogram<double> _genAiTimeToFirstToken;

    public ChatMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(GatewayTelemetry.Name);
        var seconds = new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets };
        _timeToFirstToken = meter.CreateHistogram(GatewayTelemetry.Metrics.TimeToFirstToken, description: "Time from the request to the first streamed token (seconds).", advice: seconds);
        _streamDuration = meter.CreateHistogram(GatewayTelemetry.Metrics.StreamDuration, description: "Time from the request to the end of a stream (seconds).", advice: seconds);
        _overhead = meter.CreateHistogram(GatewayTelemetry.Metrics.GatewayOverhead, description: "Time spent in the gateway, excluding the upstream (seconds).", advice: seconds);
        _genAiTokens = meter.CreateHistogram(GatewayTelemetry.Metrics.GenAiTokenUsage, unit: "{token}", description: "Tokens used per upstream call (GenAI semantic conventions).",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = TokenBuckets });
        _genAiDuration = meter.CreateHistogram(GatewayTelemetry.Metrics.GenAiOperationDuration, unit: "s", description: "Duration of upstream GenAI operations.", advice: seconds);
        _genAiTimeToFirstToken = meter.CreateHistogram(GatewayTelemetry.Metrics.GenAiTimeToFirstToken, unit: "s", description: "Time to the first token of a streamed upstream answer.", advice: seconds);
    }

    public void FirstToken(string model, string provider, TimeSpan sinceRequest, TimeSpan sinceUpstreamCall)
    {
        _timeToFirstToken.Record(sinceRequest.TotalSeconds, Model(model), Provider(provider));
        _genAiTimeToFirstToken.Record(sinceUpstreamCall.TotalSeconds, GenAiModel(model), GenAiProvider(provider), ChatOperation);
    }

    public void StreamEnded(string model, string provider, TimeSpan duration) =>
        _streamDuration.Record(duration.TotalSeconds, Model(model), Provider(provider));

    public void Overhead(string operation, TimeSpan overhead) =>
        _overhead.Record(overhead.TotalSeconds, new KeyValuePair<string, object?>("operation", operation));

    public void UpstreamCall(string model, string provider, TokenUsage usage, TimeSpan duration)
    {
        _genAiTokens.Record(usage.InputTokens, GenAiModel(model), GenAiProvider(provider), ChatOperation, new("gen_ai.token.type", "input"));
        _genAiTokens.Record(usage.OutputTokens, GenAiModel(model), GenAiProvider(provider), ChatOperation, new("gen_ai.token.type", "output"));
        _genAiDuration.Record(duration.TotalSeconds, GenAiModel(model), GenAiProvider(provider), ChatOperation);
    }

    private static readonly KeyValuePair<string, object?> ChatOperation = new("gen_ai.operation.name", "chat");

    private static KeyValuePair<string, object?> Model(string model) => new("model", model);

    private static KeyValuePair<string, object?> Provider(string provider) => new("provider", provider);

    private static KeyValuePair<string, object?> GenAiModel(string model) => new("gen_ai.request.model", model);

    private static KeyValuePair<string, object?> GenAiProvider(string provider) => new("gen_ai.provider.name", provider);
}

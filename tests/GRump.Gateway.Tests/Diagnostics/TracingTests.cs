using System.Diagnostics;
using GRump.Gateway.Routing;
using GRump.Gateway.Tests.Infrastructure;
using GRump.Gateway.Tests.Providers;
using GRump.Gateway.V1;
using OpenTelemetry.Trace;

namespace GRump.Gateway.Tests.Diagnostics;

/// <summary>One chat request's span tree, captured with OpenTelemetry's in-memory exporter.</summary>
[Collection(MetricValueTests.Name)]
public sealed class TracingTests
{
    [Fact]
    public async Task ChatRequest_HasChildSpansForEachStage_AndPropagatesTraceContextUpstream()
    {
        var ct = TestContext.Current.CancellationToken;
        var spans = new List<Activity>();
        await using var h = await UpstreamHarness.StartAsync(new Dictionary<string, string?> { ["Diagnostics:Tracing"] = "true" }, configureServices: services =>
            services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(spans)));
        var request = UpstreamHarness.Ask("What is a span?", ModelRegistry.KimiK25);
        request.Temperature = 0;

        await h.Chat.CompleteAsync(new CompleteRequest { Chat = request }, cancellationToken: ct);
        await h.App.DisposeAsync(); // flushes the exporter
        // ActivitySources are process-wide: keep only this request's trace (the one the fake upstream saw).
        var traceparent = Assert.Single(h.Fake.Requests).Header("traceparent");
        Assert.NotNull(traceparent);
        spans = [.. spans.Where(s => traceparent.Contains(s.TraceId.ToString(), StringComparison.Ordinal))];

        var server = Assert.Single(spans, s => s.Kind == ActivityKind.Server && s.DisplayName.Contains("Complete", StringComparison.Ordinal));
        var children = spans.Where(s => s.ParentSpanId == server.SpanId).Select(s => s.DisplayName).ToList();
        Assert.Contains("intent.compile", children);
        Assert.Contains("routing.decide", children);
        Assert.Contains("cache.lookup", children);
        var cacheLookup = spans.Single(s => s.DisplayName == "cache.lookup");
        var budget = Assert.Single(spans, s => s.DisplayName == "budget.reserve");
        var upstream = Assert.Single(spans, s => s.DisplayName == "chat " + ModelRegistry.KimiK25);
        Assert.Equal(cacheLookup.SpanId, upstream.ParentSpanId); // the call runs inside the single-flight fill
        Assert.Equal(cacheLookup.SpanId, budget.ParentSpanId);
        Assert.Equal(ActivityKind.Client, upstream.Kind);
        Assert.Equal("nim", upstream.GetTagItem("gen_ai.provider.name"));
        Assert.Equal("chat", upstream.GetTagItem("gen_ai.operation.name"));
        Assert.True((long)upstream.GetTagItem("gen_ai.usage.output_tokens")! > 0);
        var http = Assert.Single(spans, s => s.ParentSpanId == upstream.SpanId && s.Kind == ActivityKind.Client);
        Assert.Contains(server.TraceId.ToString(), traceparent, StringComparison.Ordinal);
        Assert.Contains(http.SpanId.ToString(), traceparent, StringComparison.Ordinal);
    }
}

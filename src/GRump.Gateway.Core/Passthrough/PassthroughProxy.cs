using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using GRump.Gateway.Auth;
using GRump.Gateway.Cost;
using GRump.Gateway.Errors;
using GRump.Gateway.Passthrough.Internal;
using GRump.Gateway.Providers;
using GRump.Gateway.Providers.Internal;
using GRump.Gateway.Routing;
using GRump.Gateway.Tokens;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace GRump.Gateway.Passthrough;

/// <summary>
/// Forwards the allow-listed <c>/v1/*</c> paths the gateway does not implement, on the same terms as its own endpoints:
/// the caller is authenticated (by the host), the route must be on the allow-list (else 404, nothing forwarded), then
/// rate limit → budget reservation (worst case: the priced model × (the body's tokens + the output limit, which is
/// written into the body), or the route's per-call price) → the upstream with the provider's key (the caller's
/// credentials stripped) → a ledger row with the usage read from the answer (OpenAI JSON or SSE; the reservation when
/// none can be read). Upstream errors become the gateway's errors, never relayed as they came.
/// </summary>
public sealed partial class PassthroughProxy : IDisposable
{
    private readonly PassthroughOptions _options;
    private readonly IReadOnlyList<ProviderSettings> _providers;
    private readonly ProviderSettings? _defaultProvider;
    private readonly ModelRegistry _registry;
    private readonly int _defaultMaxOutputTokens;
    private readonly IHttpForwarder _forwarder;
    private readonly UpstreamClusters _clusters;
    private readonly TenantRateLimiter _rateLimiter;
    private readonly CostLedger _ledger;
    private readonly ProviderMetrics _providerMetrics;
    private readonly ILogger _logger;
    private readonly HttpMessageInvoker _invoker;

    internal PassthroughProxy(PassthroughOptions options, IReadOnlyList<ProviderSettings> providers, ModelRegistry registry, int defaultMaxOutputTokens,
        IHttpForwarder forwarder, UpstreamClusters clusters, TenantRateLimiter rateLimiter, CostLedger ledger, ProviderMetrics providerMetrics, ILogger<PassthroughProxy> logger)
    {
        _options = options;
        _providers = providers;
        _defaultProvider = providers.FirstOrDefault(p => p.Name == ProviderNames.Nim) ?? providers.FirstOrDefault(p => p.Kind == ProviderKinds.OpenAi);
        _registry = registry;
        _defaultMaxOutputTokens = defaultMaxOutputTokens;
        _forwarder = forwarder;
        _clusters = clusters;
        _rateLimiter = rateLimiter;
        _ledger = ledger;
        _providerMetrics = providerMetrics;
        _logger = logger;
        // YARP's advice for a forwarder's client: no proxy, redirects, cookies or decompression of its own.
        _invoker = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = TimeSpan.FromSeconds(15),
            ActivityHeadersPropagator = new ReverseProxyPropagator(DistributedContextPropagator.Current),
        });
    }

    /// <summary>True when at least one path is allow-listed.</summary>
    public bool Enabled => _options.Routes.Count > 0;

    /// <summary>The route that forwards <paramref name="method"/> <paramref name="path"/>, or null (404).</summary>
    public PassthroughRoute? Match(string method, string path)
    {
        foreach (var route in _options.Routes)
        {
            var matches = route.Path.EndsWith("/*", StringComparison.Ordinal)
                ? path.Length > route.Path.Length - 1 && path.StartsWith(route.Path.AsSpan(0, route.Path.Length - 1), StringComparison.Ordinal)
                : string.Equals(path, route.Path, StringComparison.Ordinal);
            if (matches && route.EffectiveMethods.Contains(method, StringComparer.Ordinal))
            {
                return route;
            }
        }

        return null;
    }

    /// <summary>
    /// Forwards one request for <paramref name="caller"/>. Throws <see cref="GatewayException"/> for anything refused
    /// or failed before the answer started (the host writes it as an OpenAI error); after that the answer is the
    /// upstream's. Returns once the answer is complete and metered.
    /// </summary>
    public async Task ForwardAsync(HttpContext context, Caller caller)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(caller);
        var request = context.Request;
        var route = Match(request.Method, request.Path.Value ?? string.Empty)
            ?? throw new GatewayException(GatewayErrorKind.NotFound,
                $"{request.Method} {Shorten(request.Path.Value)} is not an endpoint of this gateway, and not on its passthrough allow-list (Passthrough:Routes); it was not forwarded.")
            { Reason = "NOT_FOUND" };

        var call = route.Metering == PassthroughMetering.Usage
            ? await PrepareMeteredAsync(context, route).ConfigureAwait(false)
            : await PreparePerCallAsync(context, route).ConfigureAwait(false);
        await _rateLimiter.AdmitAsync(caller.Tenant, call.RateTokens, context.RequestAborted).ConfigureAwait(false);
        var reservation = await _ledger.ReserveAsync(caller.Tenant, call.ReservedUsd, context.RequestAborted).ConfigureAwait(false);
        var recorded = false;
        try
        {
            recorded = await SendAsync(context, caller, call, reservation).ConfigureAwait(false);
        }
        finally
        {
            if (!recorded)
            {
                await _ledger.ReleaseAsync(reservation).ConfigureAwait(false);
            }
        }
    }

    public void Dispose() => _invoker.Dispose();

    /// <summary>A usage route: the body's model must be a priced model of the registry served by an OpenAI-compatible provider.</summary>
    private async Task<PassthroughCall> PrepareMeteredAsync(HttpContext context, PassthroughRoute route)
    {
        var body = await ReadBodyAsync(context).ConfigureAwait(false);
        JsonObject json;
        try
        {
            json = JsonNode.Parse(body.Span) as JsonObject ?? throw new JsonException("not an object");
            // Materialized now: a duplicate property (two max_tokens, say) is refused here, not forwarded.
            _ = json.Count;
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException or InvalidOperationException)
        {
            GatewayErrors.ThrowInvalidArgument("body", "must be a JSON object (no duplicate properties) naming a model: this path is billed at the model's prices");
            throw;
        }

        if (json["model"] is not JsonValue modelValue || !modelValue.TryGetValue<string>(out var modelId) || modelId.Length == 0)
        {
            GatewayErrors.ThrowInvalidArgument("model", "is required: this path is billed at the prices of the model it names");
            throw new UnreachableException();
        }

        if (!_registry.TryGet(modelId, out var model))
        {
            GatewayErrors.ThrowInvalidArgument("model",
                $"'{Shorten(modelId)}' is not a model of this gateway's registry (Routing:Models); the passthrough forwards only models it can price.");
        }

        var provider = _providers.FirstOrDefault(p => p.Name == model.Provider);
        if (provider is null || provider.Kind != ProviderKinds.OpenAi)
        {
            GatewayErrors.ThrowFailedPrecondition("PROVIDER_NOT_CONFIGURED",
                $"Model {model.Id} is served by '{model.Provider}', which is not an OpenAI-compatible provider configured on this gateway; the passthrough forwards OpenAI-compatible paths only.");
        }

        // The reservation is the cap: whatever output limit the caller asked for (or none), the upstream gets the one reserved for.
        var outputLimit = 0;
        if (route.OutputLimitField.Length > 0)
        {
            var requested = 0;
            foreach (var field in OutputLimits.Fields)
            {
                if (json[field] is JsonValue value && value.TryGetValue<int>(out var asked))
                {
                    if (asked <= 0)
                    {
                        GatewayErrors.ThrowInvalidArgument(field, "must be a positive number of tokens");
                    }

                    requested = Math.Max(requested, asked);
                }
                else if (json[field] is not null)
                {
                    GatewayErrors.ThrowInvalidArgument(field, "must be a positive integer");
                }
            }

            outputLimit = model.OutputLimit(requested, _defaultMaxOutputTokens);
            var written = false;
            foreach (var field in OutputLimits.Fields)
            {
                if (json.ContainsKey(field))
                {
                    json[field] = outputLimit;
                    written = true;
                }
            }

            if (!written)
            {
                json[route.OutputLimitField] = outputLimit;
            }

            // A stream reports its usage only when asked to (Chat Completions and Completions).
            if (json["stream"] is JsonValue stream && stream.TryGetValue<bool>(out var streaming) && streaming && route.OutputLimitField == "max_tokens")
            {
                var options = json["stream_options"] as JsonObject ?? [];
                options["include_usage"] = true;
                json["stream_options"] = options;
            }
        }

        var rewritten = new ArrayBufferWriter<byte>(body.Length + 64);
        using (var writer = new Utf8JsonWriter(rewritten))
        {
            json.WriteTo(writer);
        }

        // The body's own token count bounds the prompt's (JSON syntax covers the chat framing the upstream adds).
        var inputTokens = TokenCounter.Shared.Count(System.Text.Encoding.UTF8.GetString(body.Span));
        SetBody(context, rewritten.WrittenMemory);
        return new PassthroughCall(route, provider, model, inputTokens, outputLimit, model.Cost(inputTokens, outputLimit), (long)inputTokens + outputLimit);
    }

    private async Task<PassthroughCall> PreparePerCallAsync(HttpContext context, PassthroughRoute route)
    {
        var provider = route.Provider.Length > 0 ? _providers.FirstOrDefault(p => p.Name == route.Provider) : _defaultProvider;
        if (provider is null || provider.Kind != ProviderKinds.OpenAi)
        {
            GatewayErrors.ThrowFailedPrecondition("PROVIDER_NOT_CONFIGURED",
                $"{route.Path} is forwarded to '{(route.Provider.Length > 0 ? route.Provider : "nim or an OpenAI-compatible provider")}', which is not configured on this gateway.");
        }

        if (HttpMethods.IsPost(context.Request.Method) || HttpMethods.IsPut(context.Request.Method) || HttpMethods.IsPatch(context.Request.Method))
        {
            SetBody(context, await ReadBodyAsync(context).ConfigureAwait(false));
        }

        return new PassthroughCall(route, provider, null, 0, 0, route.PricePerCallUsd ?? 0, 0);
    }

    /// <summary>Forwards and meters; true when the call's ledger row was written (its reservation with it).</summary>
    private async Task<bool> SendAsync(HttpContext context, Caller caller, PassthroughCall call, BudgetReservation? reservation)
    {
        var destinations = _clusters.Order(call.Provider.Name);
        if (destinations.Count == 0)
        {
            throw new GatewayException(GatewayErrorKind.Unavailable, $"Upstream '{call.Provider.Name}' has no destinations.") { Reason = "NO_DESTINATION" };
        }

        var destination = destinations[0];
        var baseUri = new Uri(destination.Model.Config.Address);
        var relative = context.Request.Path.ToUriComponent()["/v1/".Length..] + context.Request.QueryString.ToUriComponent();
        var transformer = new PassthroughTransformer(call.Provider, new Uri(baseUri, relative), _options.MaxMeteredResponseBytes);
        if (call.Model is not null)
        {
            context.Response.Headers["x-grump-model"] = call.Model.Id;
        }

        if (call.Model is null)
        {
            // Known before the answer: a per-call price.
            context.Response.Headers["x-grump-cost-usd"] = call.ReservedUsd.ToString("0.#########", CultureInfo.InvariantCulture);
        }

        ForwarderError error;
        using (_providerMetrics.Begin(call.Provider.Name))
        {
            try
            {
                error = await _forwarder.SendAsync(context, baseUri.GetLeftPart(UriPartial.Authority), _invoker,
                    new ForwarderRequestConfig { ActivityTimeout = call.Provider.Options.AttemptTimeout }, transformer).ConfigureAwait(false);
            }
            finally
            {
                if (transformer.OriginalBody is { } original)
                {
                    transformer.Observer!.Complete();
                    context.Response.Body = original;
                }
            }
        }

        if (transformer.UpstreamError is { } upstreamError)
        {
            context.Response.Clear();
            throw upstreamError;
        }

        if (transformer.UpstreamStatus is null)
        {
            // Nothing came back: the upstream was unreachable, timed out, or the client left before it answered.
            if (context.RequestAborted.IsCancellationRequested)
            {
                Log.ClientLeft(_logger, call.Route.Path);
                return false;
            }

            _clusters.ReportFailure(call.Provider.Name, destination);
            Log.Failed(_logger, call.Provider.Name, baseUri.Authority, error.ToString());
            if (!context.Response.HasStarted)
            {
                context.Response.Clear();
            }

            throw error == ForwarderError.RequestTimedOut
                ? new GatewayException(GatewayErrorKind.DeadlineExceeded, $"Upstream '{call.Provider.Name}' did not answer within {call.Provider.Options.AttemptTimeout.TotalSeconds:0.###} s.") { Reason = "UPSTREAM_TIMEOUT" }
                : new GatewayException(GatewayErrorKind.Unavailable, $"Upstream '{call.Provider.Name}' is unreachable; retry later.") { Reason = "UPSTREAM_UNREACHABLE" };
        }

        // The upstream answered (even if the copy to the client broke off): what it produced is billed.
        await RecordAsync(caller, call, transformer.Observer?.Usage, reservation).ConfigureAwait(false);
        return true;
    }

    private async Task RecordAsync(Caller caller, PassthroughCall call, (long Input, long Output)? usage, BudgetReservation? reservation)
    {
        CostRecord record;
        if (call.Model is { } model)
        {
            long input = call.InputTokens, output = call.OutputLimit;
            if (usage is { } read)
            {
                (input, output) = read;
            }
            else
            {
                // No usage to read (a server that sends none, a cut stream): billed as reserved, never as nothing.
                _providerMetrics.UsageEstimated(call.Provider.Name);
            }

            record = _ledger.NewRecord(caller.Tenant, model.Id, call.Provider.Name, CostOperations.Passthrough) with
            {
                InputTokens = input,
                OutputTokens = output,
                CostUsd = model.Cost(input, output),
            };
        }
        else
        {
            record = _ledger.NewRecord(caller.Tenant, call.Route.Path, call.Provider.Name, CostOperations.Passthrough) with { CostUsd = call.ReservedUsd };
        }

        await _ledger.RecordAsync(record, reservation, CancellationToken.None).ConfigureAwait(false);
    }

    private async Task<ReadOnlyMemory<byte>> ReadBodyAsync(HttpContext context)
    {
        var limit = _options.MaxRequestBytes;
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = limit;
        }

        if (context.Request.ContentLength > limit)
        {
            throw TooLarge(limit);
        }

        using var buffer = new MemoryStream();
        try
        {
            await context.Request.Body.CopyToAsync(buffer, context.RequestAborted).ConfigureAwait(false);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw TooLarge(limit);
        }

        return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
    }

    /// <summary>The body YARP forwards: the (possibly rewritten) bytes, with a Content-Length to match.</summary>
    private static void SetBody(HttpContext context, ReadOnlyMemory<byte> body)
    {
        context.Request.Body = new MemoryStream(body.ToArray(), writable: false);
        context.Request.Headers.Remove("Transfer-Encoding");
        context.Request.ContentLength = body.Length;
    }

    private static GatewayException TooLarge(int limit) =>
        new(GatewayErrorKind.InvalidArgument, string.Create(CultureInfo.InvariantCulture, $"body: larger than the passthrough's limit of {limit} bytes"),
            [new FieldViolation("body", "too large")])
        { Reason = "BODY_TOO_LARGE" };

    private static string Shorten(string? value) => value is null ? string.Empty : value.Length <= 80 ? value : value[..80] + "…";

    /// <summary>One admitted call: where it goes and what it may cost.</summary>
    private sealed record PassthroughCall(
        PassthroughRoute Route, ProviderSettings Provider, ModelDefinition? Model, int InputTokens, int OutputLimit, double ReservedUsd, long RateTokens);

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Passthrough to {Provider} ({Address}) failed before an answer: {Error}")]
        public static partial void Failed(ILogger logger, string provider, string address, string error);

        [LoggerMessage(2, LogLevel.Debug, "Passthrough {Path}: the client went away before the upstream answered")]
        public static partial void ClientLeft(ILogger logger, string path);
    }
}


using System.Buffers;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using GRump.Gateway.Auth;
using GRump.Gateway.Cost;
using GRump.Gateway.Endpoints;
using GRump.Gateway.Errors;
using GRump.Gateway.Services;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace GRump.Gateway.Dashboard.Internal;

/// <summary>
/// <c>GET /api/cost/events[?userId=]</c>: WatchCost as Server-Sent Events on the HTTP port, for the dashboard. The
/// caller's tenant only (another tenant's userId is 403 unless the key is an admin's). Events: <c>ready</c> once
/// subscribed (nothing after it is missed), then <c>record</c> and <c>alert</c> with the WatchCostResponse's record or
/// alert as proto3 JSON (the contract's names), and a comment line when idle for a heartbeat interval.
/// The page reads it with fetch (EventSource cannot send an Authorization header, and a key in a URL leaks into logs).
/// </summary>
internal static class CostEventStream
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true));

    public static async Task StreamAsync(HttpContext context, CostLedger ledger, LiveFeedLimiter limiter, IOptions<DashboardOptions> options,
        TimeProvider time, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger("GRump.Gateway.Dashboard");
        string tenant;
        try
        {
            tenant = context.GetCaller().ActFor(context.Request.Query["userId"].ToString());
        }
        catch (GatewayException ex)
        {
            await RefuseAsync(context, logger, ex).ConfigureAwait(false);
            return;
        }

        using var lease = limiter.TryAcquire(tenant);
        if (lease is null)
        {
            await RefuseAsync(context, logger, new GatewayException(GatewayErrorKind.ResourceExhausted,
                $"Tenant '{tenant}' already has {options.Value.MaxFeedsPerTenant} live feeds open: close one (a dashboard tab) or raise Dashboard:MaxFeedsPerTenant.")
            { Reason = "TOO_MANY_FEEDS", RetryAfter = options.Value.HeartbeatInterval }).ConfigureAwait(false);
            return;
        }

        using var subscription = ledger.Subscribe(tenant);
        var response = context.Response;
        var cancellationToken = context.RequestAborted;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-store";
        response.Headers["x-accel-buffering"] = "no";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        DashboardLog.FeedOpened(logger, tenant);
        long events = 0;
        try
        {
            // retry: how long EventSource-style clients wait before reconnecting (the page follows it too).
            await WriteAsync(response, $"retry: 2000\nevent: ready\ndata: {ReadyData(tenant, options.Value.HeartbeatInterval)}\n\n", cancellationToken).ConfigureAwait(false);
            var reader = subscription.Reader;
            Task<bool>? pending = null;
            while (true)
            {
                pending ??= reader.WaitToReadAsync(cancellationToken).AsTask();
                try
                {
                    await pending.WaitAsync(options.Value.HeartbeatInterval, time, cancellationToken).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    await WriteAsync(response, ": idle\n\n", cancellationToken).ConfigureAwait(false);
                    continue;
                }
                var more = await pending.ConfigureAwait(false);
                pending = null;
                if (!more)
                {
                    break;
                }
                var frames = new StringBuilder();
                while (reader.TryRead(out var item))
                {
                    var message = CostGrpcService.ToResponse(item);
                    var (name, payload) = message.EventCase == V1.WatchCostResponse.EventOneofCase.Record
                        ? ("record", (IMessage)message.Record)
                        : ("alert", message.Alert);
                    frames.Append("event: ").Append(name).Append("\ndata: ").Append(Formatter.Format(payload)).Append("\n\n");
                    events++;
                }
                await WriteAsync(response, frames.ToString(), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The page went away (closed, reloaded, switched tenant): the normal end of a feed.
        }
        finally
        {
            // Released before the log line, so whoever reads it may open a new feed in the freed slot.
            subscription.Dispose();
            lease.Dispose();
            DashboardLog.FeedClosed(logger, tenant, events);
        }
    }

    private static async Task RefuseAsync(HttpContext context, ILogger logger, GatewayException error)
    {
        DashboardLog.FeedRefused(logger, GatewayStatus.ToHttpStatus(error.Kind), error.Message);
        await ApiErrors.WriteAsync(context, error).ConfigureAwait(false);
    }

    private static string ReadyData(string tenant, TimeSpan heartbeat)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("userId", tenant);
            json.WriteNumber("heartbeatSeconds", heartbeat.TotalSeconds);
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static async Task WriteAsync(HttpResponse response, string frames, CancellationToken cancellationToken)
    {
        await response.WriteAsync(frames, cancellationToken).ConfigureAwait(false);
        await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}

using System.Globalization;
using System.Text.Json;
using GRump.Gateway.Caching;
using GRump.Gateway.Chat;

namespace GRump.Gateway.Endpoints;

/// <summary>
/// What the gateway did for a call, told to HTTP clients in one place: the <c>x-grump-*</c> headers (model, provider,
/// cache tier, cost, overhead) and the <c>x_grump</c> extension object in bodies (clients that don't know it ignore it).
/// A stream's headers leave before its cost is known: its cost is in the last event's <c>x_grump</c>.
/// </summary>
internal static class GrumpHeaders
{
    public const string Model = "x-grump-model";
    public const string Provider = "x-grump-provider";
    public const string Cache = "x-grump-cache";
    public const string CostUsd = "x-grump-cost-usd";
    public const string OverheadMs = "x-grump-overhead-ms";

    /// <summary>The headers a stream can send up front.</summary>
    public static void WriteStart(HttpResponse response, string model, string provider, CacheLayer cache)
    {
        ArgumentNullException.ThrowIfNull(response);
        response.Headers[Model] = model;
        response.Headers[Provider] = provider;
        response.Headers[Cache] = cache.Name();
    }

    /// <summary>Every header, for a whole answer.</summary>
    public static void WriteOutcome(HttpResponse response, ChatOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        WriteStart(response, outcome.Model, outcome.Provider, outcome.Cache);
        response.Headers[CostUsd] = Usd(outcome.CostUsd);
        response.Headers[OverheadMs] = outcome.Overhead.TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture);
    }

    /// <summary>An embeddings answer: model, provider, cache (<c>L1|L2|L3</c> only when every text hit) and cost.</summary>
    public static void WriteEmbedding(HttpResponse response, string model, string provider, string cache, double costUsd)
    {
        ArgumentNullException.ThrowIfNull(response);
        response.Headers[Model] = model;
        response.Headers[Provider] = provider;
        response.Headers[Cache] = cache;
        response.Headers[CostUsd] = Usd(costUsd);
    }

    /// <summary>The <c>x_grump</c> object: the outcome, in a body.</summary>
    public static void WriteObject(Utf8JsonWriter writer, ChatOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(outcome);
        writer.WriteStartObject("x_grump");
        writer.WriteString("provider", outcome.Provider);
        writer.WriteString("cache", outcome.Cache.Name());
        writer.WriteNumber("cost_usd", outcome.CostUsd);
        writer.WriteNumber("cache_savings_usd", outcome.CacheSavingsUsd);
        writer.WriteNumber("routing_savings_usd", outcome.RoutingSavingsUsd);
        writer.WriteNumber("overhead_ms", outcome.Overhead.TotalMilliseconds);
        writer.WriteBoolean("usage_estimated", outcome.Usage.Estimated);
        writer.WriteNumber("complexity", outcome.Routing.Score);
        writer.WriteString("tier", Routing.ComplexityTiers.Name(outcome.Routing.Tier));
        writer.WriteString("reason", outcome.Routing.Reason);
        writer.WriteEndObject();
    }

    private static string Usd(double value) => value.ToString("0.#########", CultureInfo.InvariantCulture);
}

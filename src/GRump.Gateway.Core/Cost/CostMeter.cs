using GRump.Gateway.Chat;
using GRump.Gateway.Diagnostics;
using GRump.Gateway.Errors;
using GRump.Gateway.Routing;
using Microsoft.Extensions.Logging;

namespace GRump.Gateway.Cost;

/// <summary>
/// Metering as every costed path uses it (chat, embeddings, passthrough): reserve the worst case before the upstream
/// call, record what it actually cost (releasing the reservation), record a partial answer when a call is cut after it
/// began answering, record a cache hit as savings, and release when nothing reached the upstream.
/// </summary>
public sealed partial class CostMeter(CostLedger ledger, ILogger<CostMeter> logger)
{
    /// <summary>Holds <paramref name="worstCaseUsd"/> of the tenant's budget, or throws RESOURCE_EXHAUSTED.</summary>
    public async ValueTask<BudgetReservation?> ReserveAsync(string tenant, double worstCaseUsd, CancellationToken cancellationToken)
    {
        using var span = GatewayTelemetry.ActivitySource.StartActivity("budget.reserve");
        span?.SetTag("grump.budget.worst_case_usd", worstCaseUsd);
        return await ledger.ReserveAsync(tenant, worstCaseUsd, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Gives a reservation back: the call it held for never reached the upstream (or failed before any answer).</summary>
    public ValueTask ReleaseAsync(BudgetReservation? reservation) => ledger.ReleaseAsync(reservation);

    /// <summary>
    /// Records an upstream call (durably; the reservation is replaced by the actual cost) and returns its cost. Runs to
    /// completion even when the caller has gone: what the upstream produced is owed either way.
    /// </summary>
    public async ValueTask<double> RecordAsync(MeteredCall call, BudgetReservation? reservation)
    {
        ArgumentNullException.ThrowIfNull(call);
        var cost = call.Model.Cost(call.Usage);
        // One allocation: NewRecord(...) with { ... } built the record twice on every metered call.
        var record = new CostRecord
        {
            Id = Uuid7.New(),
            Timestamp = ledger.Now,
            Tenant = call.Tenant,
            Model = call.Model.Id,
            Provider = call.Model.Provider,
            Operation = call.Operation,
            Session = call.Session,
            InputTokens = call.Usage.InputTokens,
            OutputTokens = call.Usage.OutputTokens,
            CacheReadTokens = call.Usage.CacheReadTokens,
            CacheWriteTokens = call.Usage.CacheWriteTokens,
            CacheWrite1hTokens = call.Usage.CacheWrite1hTokens,
            ReasoningTokens = call.Usage.ReasoningTokens,
            CostUsd = cost,
            CacheSavingsUsd = call.CacheSavingsUsd,
            RoutingSavingsUsd = call.RoutingSavingsUsd,
        };
        await ledger.RecordAsync(record, reservation, CancellationToken.None).ConfigureAwait(false);
        return cost;
    }

    /// <summary>
    /// Records a call that was cut or cancelled after the upstream began answering (usage estimated by the caller).
    /// Never throws: a ledger that cannot take it releases the reservation and logs why.
    /// </summary>
    public async ValueTask RecordPartialAsync(MeteredCall call, BudgetReservation? reservation)
    {
        ArgumentNullException.ThrowIfNull(call);
        try
        {
            await RecordAsync(call, reservation).ConfigureAwait(false);
        }
        catch (GatewayException ex)
        {
            Log.PartialNotRecorded(logger, call.Model.Id, ex.Message);
            await ledger.ReleaseAsync(reservation).ConfigureAwait(false);
        }
    }

    /// <summary>A request answered from the cache: $0 upstream, <paramref name="savingsUsd"/> (the entry's original cost) saved.</summary>
    public ValueTask RecordHitAsync(string tenant, string model, string provider, string operation, string session, double savingsUsd, CancellationToken cancellationToken)
    {
        var record = new CostRecord
        {
            Id = Uuid7.New(),
            Timestamp = ledger.Now,
            Tenant = tenant,
            Model = model,
            Provider = provider,
            Operation = operation,
            Session = session,
            CacheHit = true,
            CacheSavingsUsd = savingsUsd,
        };
        return ledger.RecordAsync(record, null, cancellationToken);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "The partial usage of an interrupted {Model} call could not be recorded: {Error}")]
        public static partial void PartialNotRecorded(ILogger logger, string model, string error);
    }
}

/// <summary>One upstream call to meter: who, which model, what operation, and the tokens it used.</summary>
public sealed record MeteredCall(string Tenant, ModelDefinition Model, string Operation, TokenUsage Usage)
{
    public string Session { get; init; } = string.Empty;

    /// <summary>What routing saved against the premium model (chat only).</summary>
    public double RoutingSavingsUsd { get; init; }

    /// <summary>What part of the request was served from the cache (embeddings: the texts that hit).</summary>
    public double CacheSavingsUsd { get; init; }
}

namespace GRump.Gateway.Cost;

/// <summary>
/// A ledger store that keeps raw records only for a window: older records are rolled up into hourly aggregates, older
/// hourly aggregates into daily ones. The cost API reads raw rows and aggregates together, so every total stays the
/// same; what is lost beyond the window is the per-record detail (and, beyond the hourly window, the hour).
/// </summary>
public interface ILedgerRetention
{
    /// <summary>
    /// Rolls raw records stamped before <paramref name="rawBefore"/> into hourly aggregates and hourly aggregates of
    /// hours starting before <paramref name="hourlyBefore"/> into daily ones. Exactly once: the move and the delete
    /// commit together.
    /// </summary>
    ValueTask<LedgerRollup> RollUpAsync(DateTimeOffset rawBefore, DateTimeOffset hourlyBefore, CancellationToken cancellationToken);
}

/// <summary>What one roll-up moved: raw records into hourly rows, hourly rows into daily rows.</summary>
public readonly record struct LedgerRollup(long RawRecords, long HourlyRows);

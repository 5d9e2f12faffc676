namespace GRump.Gateway.Cost;

/// <summary>
/// The ledger's store cannot be opened (a damaged or foreign <c>ledger.db</c>, a data folder that cannot be written).
/// Thrown while the gateway starts, which then stops with this message and its own exit code instead of answering
/// every request with an error.
/// </summary>
public sealed class CostLedgerUnusableException : Exception
{
    public CostLedgerUnusableException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    public CostLedgerUnusableException()
    {
    }

    public CostLedgerUnusableException(string message)
        : base(message)
    {
    }
}

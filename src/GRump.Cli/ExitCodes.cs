using Grpc.Core;

namespace GRump.Cli;

/// <summary>
/// What <c>grump</c> exits with, so scripts can tell a bad command line from an unreachable gateway or a spent budget.
/// The README lists them; they never change meaning.
/// </summary>
internal static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>Anything not listed below (an unexpected server error, UNIMPLEMENTED, a local I/O failure).</summary>
    public const int Failure = 1;

    /// <summary>A bad command line, or the gateway rejected the input (INVALID_ARGUMENT, FAILED_PRECONDITION).</summary>
    public const int Usage = 2;

    /// <summary>The gateway could not be reached or stayed unavailable after the retries (UNAVAILABLE, DEADLINE_EXCEEDED).</summary>
    public const int Unavailable = 3;

    /// <summary>No or a wrong API key, or the key may not do this (UNAUTHENTICATED, PERMISSION_DENIED).</summary>
    public const int Denied = 4;

    /// <summary>Budget exhausted or rate limited (RESOURCE_EXHAUSTED).</summary>
    public const int Exhausted = 5;

    /// <summary><c>ship-parallel</c>: some workflows failed, the others succeeded (each one's status is in the table).</summary>
    public const int Partial = 6;

    /// <summary>Interrupted (Ctrl+C) or cancelled by the gateway: 128 + SIGINT, as shells do.</summary>
    public const int Cancelled = 130;

    public static int For(StatusCode code) => code switch
    {
        StatusCode.OK => Ok,
        StatusCode.InvalidArgument or StatusCode.FailedPrecondition or StatusCode.OutOfRange => Usage,
        StatusCode.Unavailable or StatusCode.DeadlineExceeded => Unavailable,
        StatusCode.Unauthenticated or StatusCode.PermissionDenied => Denied,
        StatusCode.ResourceExhausted => Exhausted,
        StatusCode.Cancelled => Cancelled,
        _ => Failure,
    };
}

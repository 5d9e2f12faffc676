using Microsoft.Extensions.Logging;

namespace GRump.Gateway.Workers;

internal static partial class WorkerPoolLog
{
    [LoggerMessage(1, LogLevel.Warning, "Worker pool shutdown timed out with {Queued} tasks still queued.")]
    public static partial void DrainTimedOut(ILogger logger, int queued);
}

using Microsoft.Extensions.Logging;

namespace GRump.Gateway.Memory;

internal static partial class MemoryLog
{
    [LoggerMessage(1, LogLevel.Debug, "Idle: trimmed the managed and native heaps in {Milliseconds:F1} ms, GC committed {CommittedBeforeMiB:F1} → {CommittedAfterMiB:F1} MiB, working set {WorkingSetMiB:F1} MiB")]
    public static partial void Trimmed(ILogger logger, double milliseconds, double committedBeforeMiB, double committedAfterMiB, double workingSetMiB);
}

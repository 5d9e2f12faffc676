namespace GRump.Gateway.Workers;

/// <summary>A snapshot of the pool's counters.</summary>
public readonly record struct WorkerPoolStats(
    int Workers,
    int QueueCapacity,
    int QueueDepth,
    int Active,
    long Completed,
    long Rejected,
    long TimedOut,
    long Failed,
    TimeSpan TotalWait,
    TimeSpan TotalRun)
{
    public double MeanWaitMs => Completed + Failed == 0 ? 0 : TotalWait.TotalMilliseconds / (Completed + Failed);

    public double MeanRunMs => Completed + Failed == 0 ? 0 : TotalRun.TotalMilliseconds / (Completed + Failed);
}

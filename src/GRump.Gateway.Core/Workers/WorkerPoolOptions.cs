using System.ComponentModel.DataAnnotations;

namespace GRump.Gateway.Workers;

/// <summary>The CPU worker pool: N workers reading one bounded queue.</summary>
public sealed class WorkerPoolOptions
{
    public const string SectionName = "Workers";

    /// <summary>Worker count; 0 = <see cref="Environment.ProcessorCount"/>.</summary>
    [Range(0, 1024)]
    public int WorkerCount { get; set; }

    /// <summary>Queued tasks beyond which new work is rejected with RESOURCE_EXHAUSTED.</summary>
    [Range(1, 1_000_000)]
    public int QueueCapacity { get; set; } = 1000;

    /// <summary>Queue wait + run time after which the caller gets DEADLINE_EXCEEDED.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00")]
    public TimeSpan TaskTimeout { get; set; } = TimeSpan.FromSeconds(30);

    internal int EffectiveWorkerCount => WorkerCount > 0 ? WorkerCount : Environment.ProcessorCount;
}

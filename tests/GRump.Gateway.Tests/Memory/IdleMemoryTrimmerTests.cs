using System.ComponentModel.DataAnnotations;
using System.Runtime.InteropServices;
using GRump.Gateway.Memory;
using GRump.Gateway.Memory.Internal;
using GRump.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace GRump.Gateway.Tests.Memory;

public sealed class IdleMemoryTrimmerTests
{
    private const long MiB = 1024 * 1024;
    private static readonly IOptions<MemoryOptions> Options = Settings();

    [Fact]
    public void StartUp_ThenAQuietInterval_TrimsOnce_AndNotAgainWhileQuiet()
    {
        var allocated = 0L;
        var trims = 0;
        var trimmer = new IdleMemoryTrimmer(Options, new FakeTimeProvider(), () => new ProcessActivity(allocated, 0), () => trims++);

        allocated += 30 * MiB; // the rest of start-up, the learned router's training
        Assert.False(trimmer.Tick());
        allocated += MiB / 10; // timers and probes
        Assert.True(trimmer.Tick());
        allocated += MiB / 10;
        Assert.False(trimmer.Tick());
        Assert.False(trimmer.Tick());

        Assert.Equal(1, trims);
        Assert.Equal(1, trimmer.Trims);
    }

    [Fact]
    public void ZeroCheckInterval_FailsValidation_NamingTheField()
    {
        var options = new MemoryOptions { CheckInterval = TimeSpan.Zero };
        var results = new List<ValidationResult>();

        var valid = Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);

        Assert.False(valid);
        Assert.Contains(results, r => r.MemberNames.Contains(nameof(MemoryOptions.CheckInterval)));
    }

    [Fact]
    public void WhileBusy_NeverTrims()
    {
        var allocated = 0L;
        var trims = 0;
        var trimmer = new IdleMemoryTrimmer(Options, new FakeTimeProvider(), () => new ProcessActivity(allocated, 0), () => trims++);

        for (var i = 0; i < 50; i++)
        {
            allocated += 3 * MiB;
            Assert.False(trimmer.Tick());
        }

        Assert.Equal(0, trims);
    }

    [Fact]
    public void LoadAfterATrim_TrimsAgainWhenQuiet_NotBeforeTheMinimumInterval()
    {
        var allocated = 0L;
        var trims = 0;
        var time = new FakeTimeProvider();
        var trimmer = new IdleMemoryTrimmer(Options, time, () => new ProcessActivity(allocated, 0), () => trims++);
        Assert.True(trimmer.Tick()); // start-up counts as activity: the first quiet interval trims

        allocated += 500 * MiB; // a burst of load
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.False(trimmer.Tick());
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.False(trimmer.Tick()); // quiet, but 20 s after the last trim
        time.Advance(TimeSpan.FromSeconds(40));
        Assert.True(trimmer.Tick()); // still quiet, 60 s after: the load's memory goes back

        Assert.Equal(2, trims);
    }

    [Fact]
    public void WhileTheJitIsBusy_TheTrimWaits_ButTheJitAloneDoesNotAskForOne()
    {
        var allocated = 0L;
        var compiled = 0L;
        var trims = 0;
        var trimmer = new IdleMemoryTrimmer(Settings(minimumTrimInterval: TimeSpan.Zero), new FakeTimeProvider(), () => new ProcessActivity(allocated, compiled), () => trims++);
        Assert.True(trimmer.Tick()); // start-up's trim

        allocated += 100 * MiB; // a load
        Assert.False(trimmer.Tick());
        compiled += 200; // then tier-1 recompilation: its scratch memory is still coming and going
        Assert.False(trimmer.Tick());
        compiled += IdleMemoryTrimmer.QuietJitMethods;
        Assert.True(trimmer.Tick()); // quiet enough
        compiled += 100; // a new path compiled while idle: no work to clean up after
        Assert.False(trimmer.Tick());
        Assert.False(trimmer.Tick());

        Assert.Equal(2, trims);
    }

    [Fact]
    public void TheTrimsOwnAllocations_AreNotActivity()
    {
        var allocated = 0L;
        var trims = 0;
        var trimmer = new IdleMemoryTrimmer(Settings(minimumTrimInterval: TimeSpan.Zero), new FakeTimeProvider(), () => new ProcessActivity(allocated, 0), () =>
        {
            trims++;
            allocated += 3 * MiB;
        });

        Assert.True(trimmer.Tick());
        Assert.False(trimmer.Tick());

        Assert.Equal(1, trims);
    }

    [Fact]
    public async Task AsAHostedService_TicksOnTheTimer_AndTrimsWhenQuiet()
    {
        var time = new FakeTimeProvider();
        var allocated = 0L;
        var firstTick = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var trimmed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reads = 0;
        var options = Settings();
        using var trimmer = new IdleMemoryTrimmer(options, time, () =>
        {
            if (++reads == 2)
            {
                firstTick.TrySetResult();
            }

            return new ProcessActivity(Interlocked.Add(ref allocated, reads == 2 ? 10 * MiB : 0), 0);
        }, () => trimmed.TrySetResult());

        await trimmer.StartAsync(TestContext.Current.CancellationToken);
        time.Advance(options.Value.CheckInterval);
        await firstTick.Task.DefaultTimeout(); // busy: no trim
        time.Advance(options.Value.CheckInterval);
        await trimmed.Task.DefaultTimeout(); // quiet after activity: one trim
        await trimmer.StopAsync(TestContext.Current.CancellationToken);

        Assert.Equal(1, trimmer.Trims);
    }

    [Fact]
    public async Task Disabled_NeverTicks()
    {
        var time = new FakeTimeProvider();
        var reads = 0;
        using var trimmer = new IdleMemoryTrimmer(Settings(enabled: false), time, () => new ProcessActivity(++reads, 0), () => Assert.Fail("trimmed"));

        await trimmer.StartAsync(TestContext.Current.CancellationToken);
        await (trimmer.ExecuteTask ?? Task.CompletedTask).DefaultTimeout();
        time.Advance(TimeSpan.FromMinutes(10));
        await trimmer.StopAsync(TestContext.Current.CancellationToken);

        Assert.Equal(1, reads); // the constructor's baseline only
        Assert.Equal(0, trimmer.Trims);
    }

    [Fact]
    public void NativeHeap_OnGlibc_ReturnsFreedMallocMemory()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux() && !RuntimeInformation.RuntimeIdentifier.Contains("musl", StringComparison.Ordinal), "malloc_trim is glibc's");
        Assert.True(NativeHeap.CanTrim);
        // 64 MB in blocks below glibc's mmap threshold (from an arena, not a mapping of their own), touched, then freed
        // behind a block still in use: free() cannot give them back by shrinking the arena's top, only a trim can.
        var ones = new byte[64 * 1024];
        Array.Fill(ones, (byte)1);
        var blocks = new IntPtr[1024];
        for (var i = 0; i < blocks.Length; i++)
        {
            blocks[i] = Marshal.AllocHGlobal(ones.Length);
            Marshal.Copy(ones, 0, blocks[i], ones.Length);
        }

        var fence = Marshal.AllocHGlobal(64);
        foreach (var block in blocks)
        {
            Marshal.FreeHGlobal(block);
        }

        var released = NativeHeap.Trim();
        Marshal.FreeHGlobal(fence);

        Assert.True(released); // malloc_trim says it released memory
    }

    private static IOptions<MemoryOptions> Settings(bool enabled = true, TimeSpan? minimumTrimInterval = null) => Microsoft.Extensions.Options.Options.Create(new MemoryOptions
    {
        IdleTrim = enabled,
        CheckInterval = TimeSpan.FromSeconds(2),
        IdleAllocationBytes = 2 * MiB,
        MinimumTrimInterval = minimumTrimInterval ?? TimeSpan.FromSeconds(60),
    });
}

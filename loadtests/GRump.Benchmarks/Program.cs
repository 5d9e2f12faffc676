using BenchmarkDotNet.Running;

namespace GRump.Benchmarks;

// An explicit entry point: top-level statements would declare a second `Program` next to the gateway's.
internal static class BenchmarkProgram
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(BenchmarkProgram).Assembly).Run(args);
}

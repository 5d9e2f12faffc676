using System.ComponentModel.DataAnnotations;

namespace GRump.Gateway.Intent;

/// <summary>How intent parses are scheduled.</summary>
public sealed class IntentOptions
{
    public const string SectionName = "Intent";

    /// <summary>
    /// Texts up to this many chars compile on the request's own thread; longer ones go through the worker pool.
    /// A short parse costs a few µs (about 25 ns a char), less than the hand-off to a worker (~10 µs measured), and
    /// the pool exists to keep long parses from piling onto request threads. 0 = every parse uses the pool.
    /// </summary>
    [Range(0, 64 * 1024)]
    public int InlineMaxChars { get; set; } = 1024;
}

using GRump.Gateway.Intent.Internal;

namespace GRump.Gateway.Intent;

/// <summary>
/// Compiles free text into a structured <see cref="ParsedIntent"/> (spec: shared/spec/intent-compiler.md):
/// lexicon-driven, no regex, linear in the input. Pure, deterministic and thread-safe: one instance serves every
/// request; scratch buffers are kept per thread.
/// </summary>
public sealed class IntentCompiler : IIntentCompiler
{
    // One workspace per thread; taken out while in use so a nested call (none today) would get its own.
    [ThreadStatic]
    private static IntentWorkspace? _workspace;

    /// <inheritdoc />
    /// <exception cref="ArgumentNullException"><paramref name="raw"/> is null (a caller bug, not input data).</exception>
    public ParsedIntent Compile(string raw)
    {
        ArgumentNullException.ThrowIfNull(raw);
        var workspace = _workspace ?? new IntentWorkspace(Lexicon.Default);
        _workspace = null;
        var intent = workspace.Compile(raw);
        if (workspace.Retainable)
        {
            _workspace = workspace;
        }

        return intent;
    }
}

namespace GRump.Gateway.Intent;

/// <summary>
/// Compiles free text into a structured <see cref="ParsedIntent"/> (spec: shared/spec/intent-compiler.md).
/// Pure, deterministic and thread-safe: one instance serves every request.
/// </summary>
public interface IIntentCompiler
{
    /// <summary>Compiles <paramref name="raw"/>; never throws for any string. Size limits are the caller's job.</summary>
    ParsedIntent Compile(string raw);
}

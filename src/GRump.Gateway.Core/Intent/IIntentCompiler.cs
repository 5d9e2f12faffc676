using Google.Protobuf.WellKnownTypes;

namespace GRump.Gateway.Intent;

/// <summary>
/// Compiles free text into a structured <see cref="V1.Intent"/> (spec: shared/spec/intent-compiler.md).
/// Pure, deterministic and thread-safe: one instance serves every request.
/// </summary>
public interface IIntentCompiler
{
    /// <summary>Compiles <paramref name="raw"/>; never throws for any string. Size limits are the caller's job.</summary>
    V1.Intent Compile(string raw, Struct? constraints = null);
}

using Google.Protobuf.WellKnownTypes;

namespace GRump.Gateway.Intent;

/// <summary>PLACEHOLDER — replaced by the full compiler in the intent work tree.</summary>
public sealed class IntentCompiler : IIntentCompiler
{
    public V1.Intent Compile(string raw, Struct? constraints = null)
    {
        ArgumentNullException.ThrowIfNull(raw);
        var intent = new V1.Intent { Raw = raw.Trim(), Constraints = constraints, Verification = new V1.Verification { WellFormed = true } };
        intent.Actors.Add("user");
        return intent;
    }
}

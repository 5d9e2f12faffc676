using System.Text;
using Google.Protobuf.WellKnownTypes;
using GRump.Gateway.Errors;

namespace GRump.Gateway.Services;

/// <summary>What one caller may send to the intent compiler.</summary>
internal static class IntentLimits
{
    public const int MaxTextBytes = 64 * 1024;
    public const int MaxConstraintsBytes = 64 * 1024;
    public const int MaxBatchInputs = 1000;

    public static void Validate(string field, string raw, Struct? constraints)
    {
        // Cheap bound first: a UTF-8 char is at most 3 bytes per UTF-16 unit, so short strings skip the count.
        if (raw.Length > MaxTextBytes / 3 && Encoding.UTF8.GetByteCount(raw) > MaxTextBytes)
        {
            GatewayErrors.ThrowInvalidArgument($"{field}raw", $"text is {Encoding.UTF8.GetByteCount(raw)} bytes of UTF-8; the limit is {MaxTextBytes} bytes (64 KiB). Split it or summarise it first.");
        }

        if (constraints is not null && constraints.CalculateSize() > MaxConstraintsBytes)
        {
            GatewayErrors.ThrowInvalidArgument($"{field}constraints", $"constraints are {constraints.CalculateSize()} bytes; the limit is {MaxConstraintsBytes} bytes.");
        }
    }
}

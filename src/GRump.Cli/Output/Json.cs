using System.Buffers;
using System.Text;
using System.Text.Json;
using Google.Protobuf;

namespace GRump.Cli.Output;

/// <summary>
/// <c>--json</c> output: one compact JSON document per command on stdout. Contract messages appear in their canonical
/// proto3 JSON (lowerCamelCase, enums by name, int64 as strings, defaults included) — the same fields as the REST API.
/// </summary>
internal static class Json
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true));

    public static string Message(IMessage message) => Formatter.Format(message);

    public static void WriteMessage(Utf8JsonWriter writer, string name, IMessage? message)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WritePropertyName(name);
        if (message is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            writer.WriteRawValue(Formatter.Format(message), skipInputValidation: true);
        }
    }

    /// <summary>Builds a document with <paramref name="write"/> and returns it as one line.</summary>
    public static string Document(Action<Utf8JsonWriter> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}

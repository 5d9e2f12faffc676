using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Globalization;
using System.Text.Json;
using System.Text.Unicode;
using Google.Protobuf.Reflection;
using GRump.Gateway.Errors;

namespace GRump.Gateway.Endpoints.Internal;

/// <summary>
/// Checks a REST (JSON transcoding) request body against the protobuf message it becomes, before the transcoder reads
/// it, so a body it would refuse with "Request JSON payload is not correctly formatted." is answered with the JSON path
/// of the bad field instead: <c>messages: must be an array</c>, <c>temperature: must be a number</c>. It rejects only
/// what the transcoder rejects (wrong JSON types, numbers out of range, invalid UTF-8, broken JSON); anything it lets
/// through is still read and checked by the transcoder. One forward-only pass with <see cref="Utf8JsonReader"/>.
/// </summary>
internal static class TranscodedJsonValidator
{
    private static readonly ConcurrentDictionary<MessageDescriptor, FrozenDictionary<string, FieldDescriptor>> FieldsByName = new();

    /// <summary>The first problem of <paramref name="json"/> as a body of <paramref name="message"/>, or null.</summary>
    public static FieldViolation? Validate(ReadOnlySpan<byte> json, MessageDescriptor message)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 64 });
        try
        {
            if (!reader.Read())
            {
                return new FieldViolation("body", "is empty; send a JSON object");
            }
            var problem = Value(ref reader, message, field: null, path: string.Empty);
            if (problem is null && reader.Read())
            {
                return new FieldViolation("body", "has more after its JSON value");
            }
            return problem;
        }
        catch (JsonException ex)
        {
            // Syntax, depth over 64: the reader's message says where (line and byte) and names no .NET type.
            return new FieldViolation("body", $"is not valid JSON: {ex.Message}");
        }
    }

    /// <summary>A message's fields by JSON name and by proto name (the transcoder accepts both).</summary>
    private static FrozenDictionary<string, FieldDescriptor> Fields(MessageDescriptor message) =>
        FieldsByName.GetOrAdd(message, static m =>
        {
            var byName = new Dictionary<string, FieldDescriptor>(StringComparer.Ordinal);
            foreach (var field in m.Fields.InDeclarationOrder())
            {
                byName.TryAdd(field.JsonName, field);
                byName.TryAdd(field.Name, field);
            }
            return byName.ToFrozenDictionary(StringComparer.Ordinal);
        });

    /// <summary>The value under the reader: a whole message when <paramref name="field"/> is null, else that field (repeated and map included).</summary>
    private static FieldViolation? Value(ref Utf8JsonReader reader, MessageDescriptor? message, FieldDescriptor? field, string path)
    {
        if (field is null)
        {
            return reader.TokenType == JsonTokenType.StartObject ? Message(ref reader, message!, path) : Wrong(path, "must be a JSON object");
        }
        if (field.IsMap)
        {
            return reader.TokenType switch
            {
                JsonTokenType.StartObject => Map(ref reader, field, path),
                _ => Wrong(path, "must be a JSON object (a map)"),
            };
        }
        if (field.IsRepeated)
        {
            if (reader.TokenType != JsonTokenType.StartArray)
            {
                return Wrong(path, "must be an array");
            }
            for (var i = 0; reader.Read() && reader.TokenType != JsonTokenType.EndArray; i++)
            {
                var item = $"{path}[{i}]";
                var problem = reader.TokenType == JsonTokenType.Null ? Wrong(item, "must not be null") : Single(ref reader, field, item);
                if (problem is not null)
                {
                    return problem;
                }
            }
            return null;
        }
        return reader.TokenType == JsonTokenType.Null ? null : Single(ref reader, field, path);
    }

    private static FieldViolation? Message(ref Utf8JsonReader reader, MessageDescriptor message, string path)
    {
        var fields = Fields(message);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = Text(ref reader);
            if (name is null)
            {
                return Wrong(path.Length == 0 ? "body" : path, "has a property name that is not valid UTF-8 text");
            }
            reader.Read();
            if (!fields.TryGetValue(name, out var field))
            {
                reader.Skip(); // unknown fields are ignored, as the transcoder does
                continue;
            }
            var problem = Value(ref reader, null, field, path.Length == 0 ? name : $"{path}.{name}");
            if (problem is not null)
            {
                return problem;
            }
        }
        return null;
    }

    private static FieldViolation? Map(ref Utf8JsonReader reader, FieldDescriptor field, string path)
    {
        var value = field.MessageType.FindFieldByNumber(2);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var key = Text(ref reader);
            if (key is null)
            {
                return Wrong(path, "has a key that is not valid UTF-8 text");
            }
            reader.Read();
            var problem = reader.TokenType == JsonTokenType.Null ? Wrong($"{path}.{key}", "must not be null") : Single(ref reader, value, $"{path}.{key}");
            if (problem is not null)
            {
                return problem;
            }
        }
        return null;
    }

    /// <summary>One (non-null) value of a field's type.</summary>
    private static FieldViolation? Single(ref Utf8JsonReader reader, FieldDescriptor field, string path)
    {
        var token = reader.TokenType;
        switch (field.FieldType)
        {
            case FieldType.String:
                return token != JsonTokenType.String ? Wrong(path, "must be a string")
                    : Text(ref reader) is null ? Wrong(path, "is not valid UTF-8 text") : null;
            case FieldType.Bytes:
                return token == JsonTokenType.String ? null : Wrong(path, "must be a base64 string");
            case FieldType.Bool:
                return token is JsonTokenType.True or JsonTokenType.False or JsonTokenType.String ? null : Wrong(path, "must be true or false");
            case FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32:
                return token == JsonTokenType.Number && reader.TryGetInt32(out _) ? null : Wrong(path, "must be a whole number (32-bit)");
            case FieldType.UInt32 or FieldType.Fixed32:
                return token == JsonTokenType.Number && reader.TryGetUInt32(out _) ? null : Wrong(path, "must be a whole number from 0 to 4294967295");
            case FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64:
                return (token == JsonTokenType.Number && reader.TryGetInt64(out _))
                    || (token == JsonTokenType.String && long.TryParse(Text(ref reader), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
                    ? null : Wrong(path, "must be a whole number (64-bit), as a number or a string");
            case FieldType.UInt64 or FieldType.Fixed64:
                return (token == JsonTokenType.Number && reader.TryGetUInt64(out _))
                    || (token == JsonTokenType.String && ulong.TryParse(Text(ref reader), NumberStyles.None, CultureInfo.InvariantCulture, out _))
                    ? null : Wrong(path, "must be a whole number ≥ 0 (64-bit), as a number or a string");
            case FieldType.Float:
                return (token == JsonTokenType.Number && reader.TryGetSingle(out var single) && float.IsFinite(single)) || NamedFloat(ref reader)
                    ? null : Wrong(path, "must be a number (32-bit float range)");
            case FieldType.Double:
                return (token == JsonTokenType.Number && reader.TryGetDouble(out var number) && double.IsFinite(number)) || NamedFloat(ref reader)
                    ? null : Wrong(path, "must be a number");
            case FieldType.Enum:
                return token switch
                {
                    JsonTokenType.Number => reader.TryGetInt32(out _) ? null : Wrong(path, "must be one of " + EnumNames(field)),
                    JsonTokenType.String => field.EnumType.FindValueByName(Text(ref reader) ?? string.Empty) is null ? Wrong(path, "must be one of " + EnumNames(field)) : null,
                    _ => Wrong(path, "must be one of " + EnumNames(field)),
                };
            case FieldType.Message:
                return WellKnown(ref reader, field.MessageType, path);
            default:
                reader.Skip();
                return null;
        }
    }

    /// <summary>Well-known types have their own JSON forms; any other message is an object.</summary>
    private static FieldViolation? WellKnown(ref Utf8JsonReader reader, MessageDescriptor type, string path)
    {
        switch (type.FullName)
        {
            case "google.protobuf.Struct" or "google.protobuf.Any" or "google.protobuf.Empty":
                return reader.TokenType == JsonTokenType.StartObject ? AnyJson(ref reader, path) : Wrong(path, "must be a JSON object");
            case "google.protobuf.ListValue":
                return reader.TokenType == JsonTokenType.StartArray ? AnyJson(ref reader, path) : Wrong(path, "must be an array");
            case "google.protobuf.Value":
                return AnyJson(ref reader, path);
            case "google.protobuf.Timestamp" or "google.protobuf.Duration" or "google.protobuf.FieldMask":
                return reader.TokenType == JsonTokenType.String ? null : Wrong(path, "must be a string");
            case var name when name.StartsWith("google.protobuf.", StringComparison.Ordinal) && name.EndsWith("Value", StringComparison.Ordinal):
                return Single(ref reader, type.FindFieldByNumber(1), path); // wrappers: the wrapped scalar itself
            default:
                return reader.TokenType == JsonTokenType.StartObject ? Message(ref reader, type, path) : Wrong(path, "must be a JSON object");
        }
    }

    /// <summary>Any JSON (Struct, Value): only its strings and names must be valid UTF-8.</summary>
    private static FieldViolation? AnyJson(ref Utf8JsonReader reader, string path)
    {
        if (reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray))
        {
            return reader.TokenType == JsonTokenType.String && Text(ref reader) is null ? Wrong(path, "is not valid UTF-8 text") : null;
        }
        // Everything inside has a greater depth; the matching end token is back at the start's depth.
        var depth = reader.CurrentDepth;
        while (reader.Read() && reader.CurrentDepth > depth)
        {
            if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName && Text(ref reader) is null)
            {
                return Wrong(path, "contains text that is not valid UTF-8");
            }
        }
        return null;
    }

    /// <summary>The string under the reader, or null when it is not valid UTF-8 (or escapes an unpaired surrogate).</summary>
    private static string? Text(ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped && !reader.HasValueSequence && !Utf8.IsValid(reader.ValueSpan))
        {
            return null;
        }
        try
        {
            return reader.GetString();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private static bool NamedFloat(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.String && (reader.ValueTextEquals("NaN"u8) || reader.ValueTextEquals("Infinity"u8) || reader.ValueTextEquals("-Infinity"u8));

    private static string EnumNames(FieldDescriptor field) => string.Join(", ", field.EnumType.Values.Select(v => v.Name));

    private static FieldViolation Wrong(string path, string description) => new(path.Length == 0 ? "body" : path, description);
}

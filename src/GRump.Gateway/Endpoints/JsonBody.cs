using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.Unicode;
using GRump.Gateway.Errors;
using Microsoft.AspNetCore.Http.Features;

namespace GRump.Gateway.Endpoints;

/// <summary>
/// A JSON request body of the HTTP doors (<c>/v1/*</c>): read whole within a size limit (over it → 413), checked to be
/// UTF-8, parsed once. Field readers throw INVALID_ARGUMENT naming the field (<c>messages[2].content</c>) for a wrong
/// type, so a translator reads what it needs in one pass and never trips over bad input into a 500.
/// </summary>
internal static class JsonBody
{
    /// <summary>
    /// The whole body, read within <paramref name="maxBytes"/>: over it (by Content-Length, as read, or by Kestrel's own
    /// limit) → 413; a body that ends before its Content-Length → INVALID_ARGUMENT. A client that goes away surfaces as
    /// the transport's IOException or OperationCanceledException.
    /// </summary>
    public static async Task<ArrayBufferWriter<byte>> ReadBytesAsync(HttpContext context, long maxBytes)
    {
        // Refused by its Content-Length before the limit is lowered: Kestrel then drains the unread body (within its own,
        // larger limit) after the 413, so a client that sends the body without Expect: 100-continue still reads the
        // answer instead of a broken pipe.
        if (context.Request.ContentLength > maxBytes)
        {
            throw TooLarge(maxBytes);
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = maxBytes;
        }

        // The body's bytes count against the gateway's bound on bodies in memory until the call's response has been sent
        // (by Content-Length before a byte is read; without one, as the bytes arrive). The lease is also how gRPC's
        // interceptor knows a transcoded REST call was counted here.
        var declared = context.Request.ContentLength;
        var lease = context.RequestServices.GetRequiredService<RequestBytesInFlight>().Take(declared ?? 0);
        context.Response.RegisterForDispose(lease);
        context.Features.Set(lease);

        var buffer = new ArrayBufferWriter<byte>((int)Math.Min(declared ?? 4096, maxBytes) + 1);
        try
        {
            var body = context.Request.Body;
            int read;
            while ((read = await body.ReadAsync(buffer.GetMemory(4096), context.RequestAborted).ConfigureAwait(false)) > 0)
            {
                buffer.Advance(read);
                if (buffer.WrittenCount > maxBytes)
                {
                    throw TooLarge(maxBytes);
                }

                lease.Grow(buffer.WrittenCount - lease.Bytes);
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw TooLarge(maxBytes);
        }
        catch (BadHttpRequestException ex)
        {
            throw Invalid("body", ex.Message);
        }

        return buffer;
    }

    /// <summary>Reads and parses the body; the caller disposes the document.</summary>
    public static async Task<JsonDocument> ReadAsync(HttpContext context, long maxBytes)
    {
        var buffer = await ReadBytesAsync(context, maxBytes).ConfigureAwait(false);
        if (buffer.WrittenCount == 0)
        {
            throw Invalid("body", "is empty; send a JSON object");
        }

        if (!Utf8.IsValid(buffer.WrittenSpan))
        {
            throw Invalid("body", "is not valid UTF-8");
        }

        try
        {
            var document = JsonDocument.Parse(buffer.WrittenMemory, new JsonDocumentOptions { MaxDepth = 64 });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                document.Dispose();
                throw Invalid("body", "must be a JSON object");
            }

            return document;
        }
        catch (JsonException ex)
        {
            var where = ex.LineNumber is { } line ? string.Create(CultureInfo.InvariantCulture, $" (line {line + 1}, byte {ex.BytePositionInLine + 1})") : string.Empty;
            throw Invalid("body", "is not valid JSON" + where);
        }
    }

    /// <summary>A string field: absent or null → null; another type → INVALID_ARGUMENT.</summary>
    public static string? String(JsonElement parent, string name, string field)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String ? Text(value, field) : throw Invalid(field, "must be a string");
    }

    /// <summary>A string field that must be there and not empty (a name): absent, null or <c>""</c> → INVALID_ARGUMENT "is required".</summary>
    public static string RequiredString(JsonElement parent, string name, string field) =>
        String(parent, name, field) is { Length: > 0 } value ? value : throw Invalid(field, "is required");

    /// <summary>A string value's text; an escaped lone surrogate (not text) → INVALID_ARGUMENT.</summary>
    public static string Text(JsonElement value, string field)
    {
        try
        {
            return value.GetString() ?? string.Empty;
        }
        catch (InvalidOperationException)
        {
            throw Invalid(field, "is not valid Unicode text");
        }
    }

    public static bool? Bool(JsonElement parent, string name, string field)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Invalid(field, "must be true or false"),
        };
    }

    public static float? Float(JsonElement parent, string name, string field)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var number) && double.IsFinite(number) && Math.Abs(number) <= float.MaxValue
            ? (float)number
            : throw Invalid(field, "must be a number");
    }

    public static int? Int(JsonElement parent, string name, string field)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) ? number : throw Invalid(field, "must be an integer");
    }

    public static long? Long(JsonElement parent, string name, string field)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) ? number : throw Invalid(field, "must be an integer");
    }

    /// <summary>An object field (absent or null → false).</summary>
    public static bool Object(JsonElement parent, string name, string field, out JsonElement value)
    {
        if (!parent.TryGetProperty(name, out value) || value.ValueKind == JsonValueKind.Null)
        {
            return false;
        }

        return value.ValueKind == JsonValueKind.Object ? true : throw Invalid(field, "must be an object");
    }

    /// <summary>An array field of at most <paramref name="max"/> items (absent or null → false).</summary>
    public static bool Array(JsonElement parent, string name, string field, int max, out JsonElement value)
    {
        if (!parent.TryGetProperty(name, out value) || value.ValueKind == JsonValueKind.Null)
        {
            return false;
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            throw Invalid(field, "must be an array");
        }

        var count = value.GetArrayLength();
        return count <= max ? true : throw Invalid(field, string.Create(CultureInfo.InvariantCulture, $"has {count} items; at most {max} are allowed"));
    }

    /// <summary>
    /// An array field of at most <paramref name="max"/> objects (absent or null → empty), each read by
    /// <paramref name="read"/> with its path (<c>field[i]</c>); an item that is not an object → INVALID_ARGUMENT.
    /// </summary>
    public static T[] Objects<T>(JsonElement parent, string name, string field, int max, Func<JsonElement, string, T> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        if (!Array(parent, name, field, max, out var items))
        {
            return [];
        }

        var result = new T[items.GetArrayLength()];
        var i = 0;
        foreach (var item in items.EnumerateArray())
        {
            var at = string.Create(CultureInfo.InvariantCulture, $"{field}[{i}]");
            result[i++] = item.ValueKind == JsonValueKind.Object ? read(item, at) : throw Invalid(at, "must be an object");
        }

        return result;
    }

    /// <summary>A caller's value quoted in an error message, cut to 32 characters.</summary>
    public static string Shorten(string value) => value.Length <= 32 ? value : value[..32] + "…";

    /// <summary>A string or an array of strings (OpenAI's <c>stop</c>, <c>input</c>): absent or null → empty.</summary>
    public static List<string> Strings(JsonElement parent, string name, string field, int max)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                return [Text(value, field)];
            case JsonValueKind.Array:
                var count = value.GetArrayLength();
                if (count > max)
                {
                    throw Invalid(field, string.Create(CultureInfo.InvariantCulture, $"has {count} items; at most {max} are allowed"));
                }

                var list = new List<string>(count);
                var i = 0;
                foreach (var item in value.EnumerateArray())
                {
                    list.Add(item.ValueKind == JsonValueKind.String ? Text(item, $"{field}[{i}]") : throw Invalid($"{field}[{i}]", "must be a string"));
                    i++;
                }

                return list;
            default:
                throw Invalid(field, "must be a string or an array of strings");
        }
    }

    /// <summary>A JSON object field as its raw text (a JSON Schema, tool input); absent or null → null.</summary>
    public static string? RawObject(JsonElement parent, string name, string field) =>
        Object(parent, name, field, out var value) ? value.GetRawText() : null;

    public static GatewayException Invalid(string field, string problem) =>
        new(GatewayErrorKind.InvalidArgument, $"{field}: {problem}", [new(field, problem)]);

    /// <summary>A body over the door's limit: HTTP 413, through the one status mapping.</summary>
    public static GatewayException TooLarge(long maxBytes) => GatewayErrors.PayloadTooLarge(null, maxBytes);
}

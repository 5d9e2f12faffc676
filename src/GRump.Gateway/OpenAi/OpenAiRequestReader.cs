using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using GRump.Gateway.Errors;
using GRump.Gateway.Hosting;
using Microsoft.AspNetCore.Http.Features;

namespace GRump.Gateway.OpenAi;

/// <summary>
/// Reads <c>/v1</c> request bodies: at most <see cref="RequestLimits.OpenAiMaxBodyBytes"/> (413 beyond), and a body that
/// does not bind is INVALID_ARGUMENT naming the JSON path of the bad field and what it must be (<c>messages: must be
/// an array</c>) — never the .NET type it failed to become. Strings inside free-form values (<see cref="JsonElement"/>)
/// are read with <see cref="Text"/>, so invalid UTF-8 there is a 400 naming the field too.
/// </summary>
internal static class OpenAiRequestReader
{
    private const string InvalidText = "is not valid text (invalid UTF-8, or an unpaired surrogate escape)";

    public static async Task<T> ReadAsync<T>(HttpContext context, JsonTypeInfo<T> type)
        where T : class
    {
        const int limit = RequestLimits.OpenAiMaxBodyBytes;
        if (context.Request.ContentLength > limit)
        {
            GatewayErrors.ThrowPayloadTooLarge(context.Request.ContentLength, limit);
        }
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = limit;
        }
        try
        {
            return await JsonSerializer.DeserializeAsync(context.Request.Body, type, context.RequestAborted).ConfigureAwait(false)
                ?? throw GatewayErrors.InvalidArgument("body", "must be a JSON object");
        }
        catch (JsonException ex)
        {
            throw Describe(ex, type);
        }
        catch (BadHttpRequestException ex)
        {
            throw ex.StatusCode == StatusCodes.Status413PayloadTooLarge ? GatewayErrors.PayloadTooLarge(null, limit) : GatewayErrors.InvalidArgument("body", ex.Message);
        }
    }

    /// <summary>A string value's text; INVALID_ARGUMENT naming <paramref name="field"/> when it is not valid text.</summary>
    public static string Text(JsonElement value, string field)
    {
        try
        {
            return value.GetString() ?? string.Empty;
        }
        catch (InvalidOperationException)
        {
            throw GatewayErrors.InvalidArgument(field, InvalidText);
        }
    }

    /// <summary>
    /// The serializer's failure as the caller's error: broken JSON (the reader's own JsonException inside), else a value
    /// the target property cannot take — of another JSON type, or a string that does not decode (the reader throws the
    /// same InvalidOperationException for both) — described by what that property accepts.
    /// </summary>
    private static GatewayException Describe(JsonException ex, JsonTypeInfo root) => ex.InnerException is JsonException syntax
        ? GatewayErrors.InvalidArgument("body", $"is not valid JSON: {syntax.Message}")
        : GatewayErrors.InvalidArgument(Field(ex.Path), Expected(root, ex.Path) is { } expected ? $"must be {expected}" : "has the wrong JSON type or invalid text");

    /// <summary><c>$.messages[0].role</c> → <c>messages[0].role</c>; the root → <c>body</c>.</summary>
    private static string Field(string? path) => path is { Length: > 2 } && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : "body";

    /// <summary>What the property at <paramref name="path"/> accepts, from the serializer's metadata of the request type.</summary>
    private static string? Expected(JsonTypeInfo root, string? path)
    {
        if (path is null || !path.StartsWith('$'))
        {
            return null;
        }
        var type = root.Type;
        var options = root.Options;
        foreach (var segment in path[1..].Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            var bracket = segment.IndexOf('[', StringComparison.Ordinal);
            var name = bracket < 0 ? segment : segment[..bracket];
            var property = options.GetTypeInfo(type).Properties.FirstOrDefault(p => p.Name == name);
            if (property is null)
            {
                return null;
            }
            type = property.PropertyType;
            for (var i = bracket; i >= 0 && i < segment.Length; i = segment.IndexOf('[', i + 1))
            {
                type = ElementType(type) ?? type;
            }
        }
        return Describe(type);
    }

    private static Type? ElementType(Type type) =>
        type.IsArray ? type.GetElementType() : type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>) ? type.GetGenericArguments()[0] : null;

    private static string? Describe(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type == typeof(string) ? "a string of valid text (UTF-8, no unpaired surrogate escapes)"
            : type == typeof(bool) ? "true or false"
            : type == typeof(int) || type == typeof(long) ? "a whole number"
            : type == typeof(float) || type == typeof(double) ? "a number"
            : ElementType(type) is not null ? "an array"
            : type == typeof(JsonElement) ? null
            : "a JSON object";
    }
}

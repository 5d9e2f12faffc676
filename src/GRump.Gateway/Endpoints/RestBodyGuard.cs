using System.Buffers;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Rpc;
using GRump.Gateway.Endpoints.Internal;
using GRump.Gateway.Errors;
using GRump.Gateway.Hosting;
using Microsoft.AspNetCore.Grpc.JsonTranscoding;
using Microsoft.Net.Http.Headers;

namespace GRump.Gateway.Endpoints;

/// <summary>
/// Reads a REST (JSON transcoding) request body before the transcoder does: over <see cref="RequestLimits.RestMaxBodyBytes"/>
/// it is 413, and a body the transcoder would refuse without saying why is 400 naming the JSON path of the bad field
/// (<see cref="TranscodedJsonValidator"/>). Both answers have the transcoder's own error shape (google.rpc.Status as
/// JSON, with a BadRequest field violation). The body is then handed on from memory.
/// </summary>
public static class RestBodyGuard
{
    private static readonly JsonFormatter ErrorFormatter = new(JsonFormatter.Settings.Default
        .WithTypeRegistry(TypeRegistry.FromMessages(BadRequest.Descriptor, ErrorInfo.Descriptor)));

    public static IApplicationBuilder UseRestBodyGuard(this IApplicationBuilder app) =>
        app.Use(static (context, next) => context.GetEndpoint()?.Metadata.GetMetadata<GrpcJsonTranscodingMetadata>() is { } transcoding
            ? GuardAsync(context, BodyMessage(transcoding), next)
            : next(context));

    /// <summary>The message the JSON body becomes (<c>body: "*"</c> = the request, else the named field's message); null when there is no body.</summary>
    private static MessageDescriptor? BodyMessage(GrpcJsonTranscodingMetadata transcoding) => transcoding.HttpRule.Body switch
    {
        "" => null,
        "*" => transcoding.MethodDescriptor.InputType,
        var field => transcoding.MethodDescriptor.InputType.FindFieldByName(field) is { FieldType: FieldType.Message, IsRepeated: false } f ? f.MessageType : null,
    };

    private static async Task GuardAsync(HttpContext context, MessageDescriptor? body, RequestDelegate next)
    {
        var request = context.Request;
        // The transcoder resolves a Content-Type charset on every call, body or not, and an unknown one escapes it as an
        // unhandled exception (HTTP 500 and an Error): refuse it here, naming the header.
        var type = request.ContentType is { } contentType && MediaTypeHeaderValue.TryParse(contentType, out var parsed) ? parsed : null;
        if (type is { Charset: { HasValue: true } charset } && !IsKnownEncoding(charset.Value!))
        {
            await RefuseAsync(context, GatewayErrors.InvalidArgument("Content-Type", $"charset '{Shorten(charset.Value!)}' is not a known encoding; send UTF-8 JSON")).ConfigureAwait(false);
            return;
        }
        if (body is null)
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        ArrayBufferWriter<byte> buffer;
        try
        {
            buffer = await JsonBody.ReadBytesAsync(context, RequestLimits.RestMaxBodyBytes).ConfigureAwait(false);
        }
        catch (GatewayException ex)
        {
            await RefuseAsync(context, ex).ConfigureAwait(false); // over the limit (413), or a body cut short
            return;
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException)
        {
            // The client went away while sending: nobody is left to answer.
            GrpcLog.RestBodyAbandoned(Logger(context), context.Request.Path);
            return;
        }

        // Only UTF-8 JSON is checked here; another content type or charset gets the transcoder's own answer.
        if (type is not null && type.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            && (!type.Charset.HasValue || type.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase))
            && TranscodedJsonValidator.Validate(buffer.WrittenSpan, body) is { } violation)
        {
            await RefuseAsync(context, GatewayErrors.InvalidArgument(violation.Field, violation.Description)).ConfigureAwait(false);
            return;
        }
        request.Body = new MemoryStream(buffer.WrittenMemory.ToArray(), writable: false);
        await next(context).ConfigureAwait(false);
    }

    private static async Task RefuseAsync(HttpContext context, GatewayException error)
    {
        GrpcLog.RestBodyRefused(Logger(context), context.Request.Path, error.Message);
        var response = context.Response;
        response.StatusCode = GatewayStatus.ToHttpStatus(error.Kind);
        response.ContentType = "application/json; charset=utf-8";
        try
        {
            await response.WriteAsync(ErrorFormatter.Format(GatewayStatus.ToRpcStatus(error)), context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException)
        {
            GrpcLog.RestBodyAbandoned(Logger(context), context.Request.Path);
        }
    }

    private static bool IsKnownEncoding(string name)
    {
        try
        {
            _ = System.Text.Encoding.GetEncoding(name);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static string Shorten(string value) => value.Length <= 64 ? value : value[..64] + "…";

    private static ILogger Logger(HttpContext context) => context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RestBodyGuard));
}

using Grpc.Core;

namespace GRump.Gateway.Endpoints.Internal;

/// <summary>
/// A request marshaller that answers a message that does not deserialize (bad wire type, truncated field, invalid
/// UTF-8 in a string, nesting past the recursion limit) with INTERNAL and a message saying so — grpc-go's and
/// grpc-java's rule — logged at Information without a stack trace, instead of UNKNOWN and an Error.
/// </summary>
internal static partial class RequestFrameGuard
{
    public static Marshaller<T> Wrap<T>(Marshaller<T> inner, string method, ILogger logger)
    {
        var deserialize = inner.ContextualDeserializer;
        return new Marshaller<T>(inner.ContextualSerializer, context =>
        {
            try
            {
                return deserialize(context);
            }
            catch (Exception ex) when (ex is not RpcException)
            {
                var reason = ex.Message.ReplaceLineEndings(" ");
                NotDeserialized(logger, method, typeof(T).Name, reason);
                throw new RpcException(new Status(StatusCode.Internal, $"The request message could not be deserialized as {typeof(T).Name}: {reason}"));
            }
        });
    }

    [LoggerMessage(1, LogLevel.Information, "{Method}: the request message could not be deserialized as {Type}: {Reason}")]
    private static partial void NotDeserialized(ILogger logger, string method, string type, string reason);
}

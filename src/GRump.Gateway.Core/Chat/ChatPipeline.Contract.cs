using Grpc.Core;
using GRump.Gateway.Caching;
using GRump.Gateway.Errors;

namespace GRump.Gateway.Chat;

// TEMPORARY, until the chat core lands: ChatPipeline still answers in the contract's messages, so it keeps private
// copies of the three wire conversions it needs. Their homes are the host's Services/CacheMapper.cs (cache mode and
// tier) and Endpoints/GatewayStatus.cs (error kind → gRPC code); delete this file when the host's chat translators
// call those instead.
public sealed partial class ChatPipeline
{
    private static CacheAccess ToCacheAccess(V1.CacheMode mode) => mode switch
    {
        V1.CacheMode.Off => CacheAccess.Off,
        V1.CacheMode.ReadOnly => CacheAccess.ReadOnly,
        V1.CacheMode.WriteOnly => CacheAccess.WriteOnly,
        _ => CacheAccess.On,
    };

    private static V1.CacheTier ToCacheTier(CacheLayer layer) => layer switch
    {
        CacheLayer.L1 => V1.CacheTier.L1,
        CacheLayer.L2 => V1.CacheTier.L2,
        CacheLayer.L3 => V1.CacheTier.L3,
        _ => V1.CacheTier.Miss,
    };

    private static StatusCode ToStatusCode(GatewayErrorKind kind) => kind switch
    {
        GatewayErrorKind.InvalidArgument => StatusCode.InvalidArgument,
        GatewayErrorKind.Unauthenticated => StatusCode.Unauthenticated,
        GatewayErrorKind.PermissionDenied => StatusCode.PermissionDenied,
        GatewayErrorKind.ResourceExhausted => StatusCode.ResourceExhausted,
        GatewayErrorKind.FailedPrecondition => StatusCode.FailedPrecondition,
        GatewayErrorKind.Unavailable => StatusCode.Unavailable,
        GatewayErrorKind.DeadlineExceeded => StatusCode.DeadlineExceeded,
        GatewayErrorKind.Cancelled => StatusCode.Cancelled,
        GatewayErrorKind.NotImplemented => StatusCode.Unimplemented,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unmapped gateway error kind."),
    };
}
